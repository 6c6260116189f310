//! `--login FIELD=VALUE`: a test server's login form, filled in. Where the
//! authorization endpoint answers with an HTML page holding a form (a test
//! IdP's "pick a user" page), the form is submitted once with its hidden
//! fields and the given ones, as a person would; the redirect it answers
//! with is the authorization response. Nothing else on the page is run.

/// A form found in a page: how and where it is sent, and its hidden fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub method: String,
    /// The action, as written (empty: the page's own URL).
    pub action: String,
    pub hidden: Vec<(String, String)>,
    /// The form's default button (its first submit button with a name):
    /// what a browser sends when the form is submitted by it (HTML, the
    /// form submission algorithm's submitter).
    pub submit: Option<(String, String)>,
    /// The names of its inputs, so that only the fields it has are sent.
    pub names: Vec<String>,
}

/// The value of an attribute in a tag's text (`name="x"`, `name='x'`,
/// `name=x`), entities for `&`, quotes and angle brackets decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[at + name.len()..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(
            value
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
    }
    None
}

/// The first form of a page that has an input named one of `fields`, or
/// else the first form.
pub fn find_form(html: &str, fields: &[(String, String)]) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    let mut forms = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form") {
        let start = from + start;
        let tag_end = lower[start..].find('>').map(|i| start + i)?;
        let end = lower[tag_end..]
            .find("</form")
            .map_or(lower.len(), |i| tag_end + i);
        let tag = &html[start..tag_end];
        let body = &html[tag_end..end];
        let mut hidden = Vec::new();
        let mut names = Vec::new();
        let body_lower = body.to_ascii_lowercase();
        let submit = default_button(body, &body_lower);
        let mut at = 0;
        while let Some(i) = body_lower[at..].find("<input") {
            let s = at + i;
            let e = body_lower[s..].find('>').map_or(body.len(), |j| s + j);
            let input = &body[s..e];
            if let Some(name) = attribute(input, "name") {
                if attribute(input, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden")) {
                    hidden.push((name.clone(), attribute(input, "value").unwrap_or_default()));
                }
                names.push(name);
            }
            at = e;
        }
        forms.push((
            Form {
                method: attribute(tag, "method")
                    .unwrap_or_else(|| "get".into())
                    .to_ascii_uppercase(),
                action: attribute(tag, "action").unwrap_or_default(),
                hidden,
                submit,
                names: names.clone(),
            },
            names,
        ));
        from = end;
    }
    forms
        .iter()
        .find(|(_, names)| names.iter().any(|n| fields.iter().any(|(f, _)| f == n)))
        .or(forms.first())
        .map(|(form, _)| form.clone())
}

/// The first submit button of a form's body that has a name: a `<button>`
/// (submit unless its type says otherwise) or an `<input type=submit>`.
fn default_button(body: &str, body_lower: &str) -> Option<(String, String)> {
    let mut at = 0;
    loop {
        let button = body_lower[at..].find("<button").map(|i| at + i);
        let input = body_lower[at..].find("<input").map(|i| at + i);
        let start = match (button, input) {
            (Some(b), Some(i)) => b.min(i),
            (Some(b), None) => b,
            (None, Some(i)) => i,
            (None, None) => return None,
        };
        let end = body_lower[start..]
            .find('>')
            .map_or(body.len(), |j| start + j);
        let tag = &body[start..end];
        at = end;
        let kind = attribute(tag, "type").map(|t| t.to_ascii_lowercase());
        let submits = if body_lower[start..].starts_with("<button") {
            kind.is_none_or(|t| t == "submit")
        } else {
            kind.is_some_and(|t| t == "submit")
        };
        if submits && let Some(name) = attribute(tag, "name") {
            return Some((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
}

/// Parses `FIELD=VALUE`.
pub fn parse_field(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!(
            "--login {text:?}: give FIELD=VALUE, e.g. sub=alice"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body>
      <form method="post" style="display: contents">
        <input type="text" name="sub" placeholder="sub" required autofocus />
        <input type=hidden name=csrf value='t&amp;k'>
        <button type="submit">Authorize</button>
      </form>
      <form method="post"><button type="submit" name="action" value="deny">Deny</button></form>
    </body></html>"#;

    #[test]
    fn the_form_with_the_given_field_and_its_hidden_inputs_are_found() {
        let form = find_form(PAGE, &[("sub".into(), "alice".into())]).unwrap();
        assert_eq!(form.method, "POST");
        assert_eq!(form.action, "");
        assert_eq!(form.hidden, vec![("csrf".to_owned(), "t&k".to_owned())]);
    }

    #[test]
    fn a_page_without_a_form_has_none() {
        assert_eq!(find_form("<p>hello</p>", &[]), None);
    }

    #[test]
    fn fields_are_field_equals_value() {
        assert_eq!(
            parse_field("sub=alice").unwrap(),
            ("sub".into(), "alice".into())
        );
        assert!(parse_field("alice").is_err());
    }

    /// A browser submitting a form by its default button sends the
    /// button's name and value: an approval page's "Approve".
    #[test]
    fn the_default_button_is_the_first_named_submit_button() {
        let page = "<form method=\"post\" action=\"/authorize\">\n\
            <input type=\"hidden\" name=\"csrf_token\" value=\"t\">\n\
            <label><input type=\"radio\" name=\"user\" value=\"diana\"> diana</label>\n\
            <button type=\"button\" name=\"help\" value=\"1\">?</button>\n\
            <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
            <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form>";
        let form = find_form(page, &[("user".into(), "diana".into())]).unwrap();
        assert_eq!(
            form.submit,
            Some(("decision".to_owned(), "approve".to_owned()))
        );
        let plain = find_form("<form><input type=submit name=go value=Go></form>", &[]).unwrap();
        assert_eq!(plain.submit, Some(("go".to_owned(), "Go".to_owned())));
        let none = find_form(
            "<form><input name=q><button type=reset name=r>x</button></form>",
            &[],
        )
        .unwrap();
        assert_eq!(none.submit, None);
    }
}
