//! A step's request as commands to copy: curl over HTTP, grpcurl to the
//! AS's (or the RP's) gRPC service.
use std::fmt::Write;

use serde_json::Value;

use crate::record::{StepRecord, StoryRecord};
use crate::render::safe::shell;

/// The AS address the grpcurl commands name (the compose default).
const AS_ADDRESS: &str = "127.0.0.1:50051";
/// The RP's, for a notification the OP sends it.
const RP_ADDRESS: &str = "127.0.0.1:50052";

/// The request as a curl command (over HTTP), to the server the run
/// crossed HTTP to. Over gRPC the URL names the configured issuer, which
/// may be a host nobody serves (example.com): the command then goes to
/// `$AS`, the AS's `--http-listen` URL, and carries no secret value.
pub(crate) fn curl(step: &StepRecord, over_http: bool) -> String {
    if over_http {
        return curl_to(step, shell(&step.request.url));
    }
    let mut shown = StoryRecord::skipped("", "");
    shown.steps.push(step.clone());
    crate::render::redact::redact(&mut shown);
    let step = &shown.steps[0];
    let target = match url::Url::parse(&step.request.url) {
        Ok(url) => {
            let origin = url.origin().ascii_serialization();
            let rest = step.request.url.strip_prefix(&origin).unwrap_or("/");
            format!("\"$AS\"{}", shell(rest))
        }
        Err(_) => shell(&step.request.url),
    };
    curl_to(step, target)
}

/// The curl command sending the step's request to `target`, a shell word.
fn curl_to(step: &StepRecord, target: String) -> String {
    let mut out = String::from("curl -i");
    if !step.request.method.eq_ignore_ascii_case("GET") {
        let method = &step.request.method;
        // A method is a token (RFC 9110 §9.1); one of letters goes bare.
        if method.bytes().all(|b| b.is_ascii_alphabetic()) {
            let _ = write!(out, " -X {method}");
        } else {
            let _ = write!(out, " -X {}", shell(method));
        }
    }
    let _ = write!(out, " {target}");
    for (name, value) in &step.request.headers {
        let _ = write!(out, " \\\n  -H {}", shell(&format!("{name}: {value}")));
    }
    let body = request_body(step);
    if !body.is_empty() {
        let _ = write!(out, " \\\n  --data-raw {}", shell(&body));
    }
    out
}

/// The request as a grpcurl command (the AS RPC, the same HTTP message in
/// its envelope).
pub(crate) fn grpcurl(step: &StepRecord) -> String {
    let envelope = serde_json::json!({
        "method": step.request.method,
        "url": step.request.url,
        "headers": step.request.headers,
        "body": request_body(step),
    });
    // A back-channel notification goes to the RP, inbound to its session.
    if step.endpoint == crate::runner::BACKCHANNEL {
        let call = serde_json::json!({
            "session_id": "SESSION_ID",
            "service": step.service,
            "inbound": envelope,
        });
        return format!(
            "grpcurl -plaintext -d {} \\\n  {RP_ADDRESS} oidcstory.v1.RelyingParty/ParseResponse",
            shell(&call.to_string())
        );
    }
    format!(
        "grpcurl -plaintext -d {} \\\n  {AS_ADDRESS} oidcstory.v1.AuthorizationServer/{}",
        shell(&envelope.to_string()),
        step.endpoint
    )
}

/// A command to copy, given as escaped HTML (`html_block`, or `html_json`
/// for one carrying compact JSON: its `<wbr>`s are not copied).
pub(super) fn copy_block(out: &mut String, id: &str, what: &str, escaped: &str) {
    let _ = write!(
        out,
        "<details class=\"copy\"><summary>{what}</summary><pre id=\"{id}\">{escaped}</pre>\
<button type=\"button\" data-copy=\"{id}\" data-label=\"copy\">copy</button></details>"
    );
}

/// The request body as sent: the form parameters, or the JSON document.
pub(super) fn request_body(step: &StepRecord) -> String {
    if step.request.method.eq_ignore_ascii_case("GET") {
        return String::new();
    }
    match &*step.request.params {
        Value::Object(map) if map.is_empty() => String::new(),
        Value::Object(map) if map.values().all(Value::is_string) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in map {
                form.append_pair(k, v.as_str().unwrap_or_default());
            }
            form.finish()
        }
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::render::safe::shell;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell("it's"), "'it'\\''s'");
    }
}
