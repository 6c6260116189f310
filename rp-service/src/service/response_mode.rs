//! The response modes the RP can ask for (`response_mode`, OAuth 2.0
//! Multiple Response Types §2.1, Form Post Response Mode §2, JARM §2.3):
//! where the AS puts the response parameters, and whether they come as the
//! claims of one signed JWT. A leaf: it imports nothing of the crate.

/// Where the response parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// The redirect URI's query.
    Query,
    /// The redirect URI's fragment.
    Fragment,
    /// A form the browser posts to the redirect URI.
    FormPost,
}

/// A response mode: the carrier, and whether the parameters come inside
/// one JWT, `response` (JARM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseMode {
    pub carrier: Carrier,
    pub jwt: bool,
}

/// The values the RP understands, for its error message.
pub const NAMES: &str = "query, fragment, form_post, jwt, query.jwt, fragment.jwt, form_post.jwt";

impl ResponseMode {
    /// The default of a response type: the query for a code alone, the
    /// fragment for anything with a token (Multiple Response Types §5).
    pub fn default_for(response_type: &str) -> Self {
        let fragment = response_type
            .split(' ')
            .any(|t| t != "code" && !t.is_empty());
        Self {
            carrier: if fragment {
                Carrier::Fragment
            } else {
                Carrier::Query
            },
            jwt: false,
        }
    }

    /// A `response_mode` value for a response type; `jwt` is that type's
    /// default carrier with the JWT (JARM §2.3.4).
    pub fn parse(name: &str, response_type: &str) -> Option<Self> {
        if name == "jwt" {
            return Some(Self {
                jwt: true,
                ..Self::default_for(response_type)
            });
        }
        let (carrier, jwt) = match name.strip_suffix(".jwt") {
            Some(carrier) => (carrier, true),
            None => (name, false),
        };
        let carrier = match carrier {
            "query" => Carrier::Query,
            "fragment" => Carrier::Fragment,
            "form_post" => Carrier::FormPost,
            _ => return None,
        };
        Some(Self { carrier, jwt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_is_the_default_carrier_of_the_response_type_with_a_jwt() {
        let code = ResponseMode::parse("jwt", "code").unwrap();
        assert_eq!((code.carrier, code.jwt), (Carrier::Query, true));
        let hybrid = ResponseMode::parse("jwt", "code id_token").unwrap();
        assert_eq!(hybrid.carrier, Carrier::Fragment);
        let post = ResponseMode::parse("form_post.jwt", "code").unwrap();
        assert_eq!((post.carrier, post.jwt), (Carrier::FormPost, true));
        assert_eq!(ResponseMode::parse("web_message", "code"), None);
        assert_eq!(ResponseMode::parse("form_post.jwt.jwt", "code"), None);
    }
}
