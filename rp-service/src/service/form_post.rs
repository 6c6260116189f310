//! The authorization response as a form post (OAuth 2.0 Form Post Response
//! Mode §2): the AS answers with a page whose form the browser posts to the
//! redirect URI. The RP reads that page strictly — one form, method POST,
//! action exactly its redirect URI, hidden inputs only, every character
//! reference known — and hands the form's fields on as the response
//! parameters. Nothing on the page is run or fetched.
//!
//! The page is read by the small scanner below rather than a full HTML
//! parser: it knows tags, attributes (quoted or not), comments, the raw
//! text of `script`, `style`, `title` and `textarea`, and character
//! references, and refuses what it does not know instead of guessing.
use oauth_core::form::{self, Params};
use oauth_core::http::HttpResponse;

use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;

/// More tags than this and the page is not a form post page.
const MAX_TAGS: usize = 1_000;

/// Attributes one tag may have: a form post page needs a handful, and a
/// tag with thousands would cost the duplicate check quadratic time.
const MAX_ATTRIBUTES: usize = 64;

const REFERENCE: &str = "OAuth 2.0 Form Post Response Mode §2";

/// A form found in the page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Form {
    method: Option<String>,
    action: Option<String>,
    /// The hidden inputs' names and values, in order.
    fields: Vec<(String, String)>,
    /// Anything else that would add to or redirect what the form sends.
    other: Vec<String>,
}

/// The response parameters of a form post page, every check shown; `None`
/// when the page cannot be taken.
pub(crate) fn read(
    response: &HttpResponse,
    redirect_uri: &str,
    parsed: &mut Parsed,
) -> Option<Params> {
    let content_type = response
        .headers
        .get("content-type")
        .map(String::as_str)
        .unwrap_or("");
    let html = content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"));
    if !parsed.must(
        CheckId::FormPostPage,
        "the answer is an HTML page",
        response.status == 200 && html,
        format!("status {}, content-type {content_type:?}", response.status),
        REFERENCE,
    ) {
        return None;
    }
    let forms = match forms(&response.body) {
        Ok(forms) => forms,
        Err(why) => {
            parsed.must(
                CheckId::FormPostForm,
                "the page holds exactly one form",
                false,
                format!("the page does not read as HTML: {why}"),
                REFERENCE,
            );
            return None;
        }
    };
    let [form] = forms.as_slice() else {
        parsed.must(
            CheckId::FormPostForm,
            "the page holds exactly one form",
            false,
            format!("{} forms", forms.len()),
            REFERENCE,
        );
        return None;
    };
    parsed.must(
        CheckId::FormPostForm,
        "the page holds exactly one form",
        true,
        format!("{} hidden fields", form.fields.len()),
        REFERENCE,
    );
    let method = form.method.as_deref().unwrap_or("");
    let post = parsed.must(
        CheckId::FormPostMethod,
        "the form's method is POST",
        method.eq_ignore_ascii_case("post"),
        format!("{method:?}"),
        REFERENCE,
    );
    let action = form.action.as_deref().unwrap_or("");
    let ours = parsed.must(
        CheckId::FormPostAction,
        "the form posts to our redirect_uri",
        action == redirect_uri,
        format!("{action:?}"),
        "OAuth 2.0 Form Post Response Mode §2, RFC 6749 §3.1.2",
    );
    let hidden_only = parsed.must(
        CheckId::FormPostHiddenOnly,
        "the form sends hidden inputs only",
        form.other.is_empty(),
        if form.other.is_empty() {
            "hidden inputs only".to_owned()
        } else {
            form.other.join("; ")
        },
        REFERENCE,
    );
    if !(post && ours && hidden_only) {
        return None;
    }
    // The fields as the browser would post them, read as the RP reads a
    // query: a name sent twice is refused the same way.
    let body = form::encode(form.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match form::parse(&body) {
        Ok(params) => Some(params),
        Err(e) => {
            parsed.must(
                CheckId::ResponseParamsParse,
                "the response parameters parse",
                false,
                e.to_string(),
                "RFC 6749 §4.1.2, RFC 6749 §3.1",
            );
            None
        }
    }
}

/// Every form of the page, or why the page cannot be read.
fn forms(html: &str) -> Result<Vec<Form>, String> {
    let mut forms = Vec::new();
    let mut open: Option<Form> = None;
    let mut rest = html;
    let mut tags = 0;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        tags += 1;
        if tags > MAX_TAGS {
            return Err(format!("more than {MAX_TAGS} tags"));
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("a comment is not closed")?;
            rest = &after[end + 3..];
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            let end = rest.find('>').ok_or("a declaration is not closed")?;
            rest = &rest[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("an end tag is not closed")?;
            let name = after[..end].trim().to_ascii_lowercase();
            if name == "form" {
                let form = open.take().ok_or("</form> without a form")?;
                forms.push(form);
            }
            rest = &after[end + 1..];
            continue;
        }
        let Some(tag) = start_tag(&rest[1..])? else {
            // A lone `<` in text.
            rest = &rest[1..];
            continue;
        };
        rest = &rest[1 + tag.len..];
        if matches!(tag.name.as_str(), "script" | "style" | "title" | "textarea") {
            let end = find_ascii_ci(rest, &format!("</{}", tag.name))
                .ok_or_else(|| format!("<{}> is not closed", tag.name))?;
            rest = &rest[end..];
        }
        match (tag.name.as_str(), open.as_mut()) {
            ("form", Some(_)) => return Err("a form inside a form".into()),
            ("form", None) => {
                // Form Post §2: the parameters are form-encoded; a page
                // posting them another way is not a form post response.
                if let Some(enctype) = tag.get("enctype")
                    && !enctype.eq_ignore_ascii_case("application/x-www-form-urlencoded")
                {
                    return Err(format!("the form posts as {enctype:?}, not form-encoded"));
                }
                open = Some(Form {
                    method: tag.get("method"),
                    action: tag.get("action"),
                    ..Form::default()
                });
            }
            ("input" | "button" | "select" | "textarea", Some(form)) => control(&tag, form),
            // A control outside the form that joins it by `form=` would
            // post a value (or send it elsewhere) unseen by a reader that
            // reads the form alone: refused.
            (
                "input" | "button" | "select" | "textarea" | "object" | "output" | "fieldset",
                None,
            ) if tag.get("form").is_some() => {
                return Err(format!(
                    "a <{}> outside the form joins a form by its form attribute",
                    tag.name
                ));
            }
            _ => {}
        }
    }
    if open.is_some() {
        return Err("a form is not closed".into());
    }
    Ok(forms)
}

/// What a control adds to the form: a hidden input's field; anything that
/// would send another value, or send the form elsewhere, is noted.
fn control(tag: &Tag, form: &mut Form) {
    for overriding in [
        "form",
        "formaction",
        "formmethod",
        "formenctype",
        "formtarget",
    ] {
        if tag.get(overriding).is_some() {
            form.other
                .push(format!("<{}> with a {overriding} attribute", tag.name));
        }
    }
    let kind = tag.get("type").map(|t| t.to_ascii_lowercase());
    let name = tag.get("name");
    match (tag.name.as_str(), kind.as_deref(), name) {
        ("input", Some("hidden"), Some(name)) => form
            .fields
            .push((name, tag.get("value").unwrap_or_default())),
        // Sends nothing: an unnamed button, or an unnamed hidden input.
        ("input", Some("hidden" | "submit" | "reset" | "button"), None) => {}
        ("button", _, None) => {}
        (element, kind, name) => form.other.push(format!(
            "<{element}{}{}>",
            kind.map(|k| format!(" type={k}")).unwrap_or_default(),
            name.map(|n| format!(" name={n}")).unwrap_or_default()
        )),
    }
}

/// A start tag: its name (lower case), its attributes, and how many bytes
/// after the `<` it spans.
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
    len: usize,
}

impl Tag {
    fn get(&self, name: &str) -> Option<String> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Reads the start tag at `text` (just after its `<`); `None` if no tag
/// starts there.
fn start_tag(text: &str) -> Result<Option<Tag>, String> {
    let name_len = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    if name_len == 0 || !text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(None);
    }
    let name = text[..name_len].to_ascii_lowercase();
    let mut attributes: Vec<(String, String)> = Vec::new();
    let mut at = name_len;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        at += rest.len() - trimmed.len();
        let Some(first) = trimmed.chars().next() else {
            return Err(format!("<{name}> is not closed"));
        };
        if attributes.len() > MAX_ATTRIBUTES {
            return Err(format!(
                "<{name}> has more than {MAX_ATTRIBUTES} attributes"
            ));
        }
        if first == '>' {
            return Ok(Some(Tag {
                name,
                attributes,
                len: at + 1,
            }));
        }
        let attr_len = trimmed
            .find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(trimmed.len());
        let attr = trimmed[..attr_len].to_ascii_lowercase();
        if attr.contains(['"', '\'', '<']) {
            return Err(format!("<{name}> has a malformed attribute"));
        }
        at += attr_len;
        let rest = &text[at..];
        let after_ws = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let value = if let Some(v) = after_ws.strip_prefix('=') {
            let v_trimmed = v.trim_start_matches(|c: char| c.is_ascii_whitespace());
            at += rest.len() - v_trimmed.len();
            let (raw, used) = match v_trimmed.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = v_trimmed[1..]
                        .find(q)
                        .ok_or_else(|| format!("<{name}> {attr}: a quote is not closed"))?;
                    (&v_trimmed[1..1 + end], end + 2)
                }
                _ => {
                    let end = v_trimmed
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(v_trimmed.len());
                    (&v_trimmed[..end], end)
                }
            };
            at += used;
            decode(raw).map_err(|why| format!("<{name}> {attr}: {why}"))?
        } else {
            String::new()
        };
        if attributes.iter().any(|(n, _)| *n == attr) {
            return Err(format!("<{name}> has {attr} twice"));
        }
        attributes.push((attr, value));
    }
}

/// An attribute value with its character references decoded; a reference
/// that is not one of the few a form post page needs, or a bare `&`, is
/// refused rather than guessed at.
fn decode(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .filter(|e| *e <= 10)
            .ok_or("a bare & (write &amp;)")?;
        let name = &after[..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16),
                    Some(dec) => dec.parse::<u32>(),
                    None => return Err(format!("unknown character reference &{name};")),
                }
                .map_err(|_| format!("bad character reference &{name};"))?;
                char::from_u32(code)
                    .filter(|c| *c != '\0')
                    .ok_or_else(|| format!("bad character reference &{name};"))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..h.len().saturating_sub(n.len()) + 1)
        .find(|&i| h.len() >= n.len() && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests;
