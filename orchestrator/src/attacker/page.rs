//! The attacker's edits of a form post page (OAuth 2.0 Form Post Response
//! Mode §2): where its form posts, and its hidden inputs. The page is the
//! AS's own (one form, quoted attributes), edited as text.
use oauth_core::html::escape;

/// The span of the page's first `<form …>` start tag.
fn form_tag(page: &str) -> Result<(usize, usize), String> {
    let start = page
        .find("<form")
        .ok_or("the answer holds no form to change")?;
    let end = page[start..]
        .find('>')
        .map(|i| start + i + 1)
        .ok_or("the form tag is not closed")?;
    Ok((start, end))
}

/// The page with its form's action set to `action`.
pub(super) fn set_action(page: &str, action: &str) -> Result<String, String> {
    let (start, end) = form_tag(page)?;
    let tag = &page[start..end];
    let at = tag
        .find("action=\"")
        .ok_or("the form has no quoted action")?;
    let value_start = at + "action=\"".len();
    let value_end = tag[value_start..]
        .find('"')
        .map(|i| value_start + i)
        .ok_or("the form's action is not closed")?;
    Ok(format!(
        "{}{}{}{}",
        &page[..start],
        &tag[..value_start],
        escape(action),
        &page[start + value_end..]
    ))
}

/// The page with one more hidden input at the start of its form.
pub(super) fn add_input(page: &str, name: &str, value: &str) -> Result<String, String> {
    let (_, end) = form_tag(page)?;
    Ok(format!(
        "{}\n<input type=\"hidden\" name=\"{}\" value=\"{}\">{}",
        &page[..end],
        escape(name),
        escape(value),
        &page[end..]
    ))
}

/// The value of the hidden input `name`, as the page writes it (the AS
/// escapes only what a JWT or code never holds, so no decoding is needed
/// for the values the attacker reads).
pub(super) fn input_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{}\" value=\"", escape(name));
    let at = page.find(&marker)? + marker.len();
    let end = page[at..].find('"')?;
    Some(page[at..at + end].to_owned())
}

/// The page with the hidden input `name` given `value`.
pub(super) fn set_input(page: &str, name: &str, value: &str) -> Result<String, String> {
    let marker = format!("name=\"{}\" value=\"", escape(name));
    let at = page
        .find(&marker)
        .map(|i| i + marker.len())
        .ok_or_else(|| format!("the form has no {name} input"))?;
    let end = page[at..]
        .find('"')
        .map(|i| at + i)
        .ok_or("the input's value is not closed")?;
    Ok(format!("{}{}{}", &page[..at], escape(value), &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<body><form method=\"post\" action=\"https://example.com/cb\">\n\
        <input type=\"hidden\" name=\"response\" value=\"a.b.c\">\n</form></body>";

    #[test]
    fn the_action_and_inputs_are_changed_and_escaped() {
        let moved = set_action(PAGE, "https://attacker.example/?a&b").unwrap();
        assert!(moved.contains("action=\"https://attacker.example/?a&amp;b\""));
        let added = add_input(PAGE, "code", "x\"y").unwrap();
        assert!(added.contains("<input type=\"hidden\" name=\"code\" value=\"x&quot;y\">"));
        assert_eq!(input_value(PAGE, "response").as_deref(), Some("a.b.c"));
        let replaced = set_input(PAGE, "response", "d.e.f").unwrap();
        assert_eq!(input_value(&replaced, "response").as_deref(), Some("d.e.f"));
    }
}
