//! Rich authorization requests (RFC 9396): `authorization_details`, a JSON
//! array of objects each naming its `type`, asked for at the authorization
//! (or PAR) endpoint or the token endpoint. Each type is one the server
//! understands and the client may use, and carries only the members its
//! type defines; the common ones (§2.2) have the shapes §2.2 gives. The
//! details granted travel with the code into the grant; a token request
//! may ask for some of them, never more (decided in `grant::target`).
use std::collections::BTreeMap;

use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use serde_json::Value;

use crate::AuthServer;
use crate::config::Client;

/// The parameter is kept with the code: bounded, as anyone may send it.
const MAX_BYTES: usize = 8192;

fn refuse(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidAuthorizationDetails, description)
}

/// The authorization details a request asks for, checked (RFC 9396 §5);
/// `None` when it names none.
pub(super) fn requested(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Option<Value>, OAuthError> {
    match params.get("authorization_details") {
        Some(text) => check(&server.config.authorization_details_types, client, text).map(Some),
        None => Ok(None),
    }
}

/// RFC 9396 §2, §5: a JSON array of objects, each of a known type this
/// client may use, with only its type's members, the common ones well
/// shaped. Returned as parsed (serialised again, it is canonical).
fn check(
    types: &BTreeMap<String, Vec<String>>,
    client: &Client,
    text: &str,
) -> Result<Value, OAuthError> {
    if text.len() > MAX_BYTES {
        return Err(refuse(format!(
            "authorization_details is {} bytes; at most {MAX_BYTES} are accepted",
            text.len()
        )));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| refuse(format!("authorization_details is not JSON: {e}")))?;
    let Some(details) = value.as_array().filter(|a| !a.is_empty()) else {
        return Err(refuse(
            "authorization_details must be a non-empty JSON array of objects",
        ));
    };
    for detail in details {
        let Some(members) = detail.as_object() else {
            return Err(refuse("each authorization detail must be a JSON object"));
        };
        let Some(type_name) = members.get("type").and_then(Value::as_str) else {
            return Err(refuse("each authorization detail needs a string `type`"));
        };
        let Some(fields) = types.get(type_name) else {
            return Err(refuse(format!(
                "authorization details type {type_name:?} is unknown to this server"
            )));
        };
        if !client
            .authorization_details_types
            .iter()
            .any(|t| t == type_name)
        {
            return Err(refuse(format!(
                "this client may not use authorization details of type {type_name:?}"
            )));
        }
        for (name, member) in members {
            if name == "type" {
                continue;
            }
            if !fields.iter().any(|f| f == name) {
                return Err(refuse(format!(
                    "{name:?} is not a member of authorization details type {type_name:?}"
                )));
            }
            common_shape(name, member)?;
        }
    }
    Ok(value)
}

/// RFC 9396 §2.2: `locations` (URIs), `actions`, `datatypes` and
/// `privileges` are arrays of strings; `identifier` is a string.
fn common_shape(name: &str, member: &Value) -> Result<(), OAuthError> {
    let strings = || {
        member
            .as_array()
            .filter(|a| a.iter().all(Value::is_string))
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
    };
    match name {
        "locations" => match strings() {
            Some(list) if list.iter().all(|l| url::Url::parse(l).is_ok()) => Ok(()),
            _ => Err(refuse("locations must be an array of URIs (RFC 9396 §2.2)")),
        },
        "actions" | "datatypes" | "privileges" => match strings() {
            Some(_) => Ok(()),
            None => Err(refuse(format!(
                "{name} must be an array of strings (RFC 9396 §2.2)"
            ))),
        },
        "identifier" if !member.is_string() => {
            Err(refuse("identifier must be a string (RFC 9396 §2.2)"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
