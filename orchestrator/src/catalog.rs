//! The story catalog, as data: each story is a client profile and a list
//! of steps, each step a client service of the RP (which names the AS
//! endpoint it needs) with optional arguments. The runner, `list` and the
//! transcripts all read this one table.

/// One usage story.
#[derive(Debug)]
pub struct Story {
    /// The seed's name, e.g. `oauth2_cc`.
    pub name: &'static str,
    pub title: &'static str,
    /// The standard the story follows, with section.
    pub standard: &'static str,
    /// What the story shows, in one line.
    pub summary: &'static str,
    /// The RP client profile the story runs as.
    pub profile: &'static str,
    pub steps: &'static [Step],
}

/// One step: a client service of the RP and its arguments.
#[derive(Debug)]
pub struct Step {
    pub service: &'static str,
    pub args: &'static [(&'static str, &'static str)],
    /// The OAuth error this step must end in (for steps that show a refusal);
    /// `None` means the step must succeed.
    pub expect_error: Option<&'static str>,
}

const fn step(service: &'static str) -> Step {
    Step {
        service,
        args: &[],
        expect_error: None,
    }
}

const fn step_with(service: &'static str, args: &'static [(&'static str, &'static str)]) -> Step {
    Step {
        service,
        args,
        expect_error: None,
    }
}

pub const STORIES: &[Story] = &[
    Story {
        name: "oauth2_cc",
        title: "Client Credentials",
        standard: "RFC 6749 §4.4",
        summary: "client authentication alone (client_secret_basic) buys a JWT access token, scope resourceA",
        profile: "client_1",
        steps: &[step("jwks"), step("client_credentials")],
    },
    Story {
        name: "oauth2_ropc",
        title: "Resource Owner Password Credentials",
        standard: "RFC 6749 §4.3",
        summary: "user diana/krall's password exchanged for a JWT access token (client_secret_post)",
        profile: "client_1",
        steps: &[
            step("jwks"),
            step_with(
                "resource_owner_password_credentials",
                &[("token_endpoint_auth_method", "client_secret_post")],
            ),
        ],
    },
    Story {
        name: "oauth2_code",
        title: "Authorization Code",
        standard: "RFC 6749 §4.1, RFC 8414, RFC 9207",
        summary: "metadata discovery, state, exact redirect_uri, iss in the response, single-use code",
        profile: "client",
        steps: &CODE_FLOW,
    },
    Story {
        name: "oauth2_add_on_pkce",
        title: "Proof Key for Code Exchange",
        standard: "RFC 7636",
        summary: "an S256 challenge (verifier of 64 characters) binds the code to the client that asked for it",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step_with("authorization", &[("pkce", "S256")]),
            step("accesstoken"),
        ],
    },
    Story {
        name: "oauth2_add_on_jar",
        title: "JWT-Secured Authorization Request",
        standard: "RFC 9101",
        summary: "the RP registers its public key, then sends the authorization parameters only inside an ES256-signed request object",
        profile: "dynamic",
        steps: &[
            step("server_metadata"),
            step_with("registration", &[("request_object_signing_alg", "ES256")]),
            step_with("authorization", &[("jar", "value"), ("scope", "foobar")]),
            step("accesstoken"),
        ],
    },
    Story {
        name: "oauth2_add_on_par",
        title: "Pushed Authorization Requests",
        standard: "RFC 9126",
        summary: "the RP pushes the request (client_secret_basic) and gets a request_uri; the browser carries only client_id and request_uri",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("pushed_authorization"),
            step("authorization"),
            step("accesstoken"),
        ],
    },
    Story {
        name: "oauth2_add_on_dpop",
        title: "Demonstrating Proof of Possession",
        standard: "RFC 9449",
        summary: "a DPoP proof (ES256) on the token request binds the token to the RP's key (cnf.jkt, token_type DPoP)",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step_with("accesstoken", &[("dpop", "true")]),
            step_with("introspection", &[("expect_active", "true")]),
        ],
    },
    Story {
        name: "oauth2_token_refresh",
        title: "Refreshing an Access Token",
        standard: "RFC 6749 §6, RFC 9700 §4.14",
        summary: "the refresh token (client_secret_post) buys a new access token and is rotated",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            step_with(
                "refresh_token",
                &[
                    ("token_endpoint_auth_method", "client_secret_post"),
                    ("scope", "foobar"),
                ],
            ),
        ],
    },
    Story {
        name: "oauth2_token_revocation",
        title: "Token Revocation and Introspection",
        standard: "RFC 7009, RFC 7662",
        summary: "the access token introspects active, is revoked, then introspects inactive",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            step_with("introspection", &[("expect_active", "true")]),
            step("token_revocation"),
            step_with("introspection", &[("expect_active", "false")]),
        ],
    },
    Story {
        name: "oauth2_token_exchange",
        title: "Token Exchange",
        standard: "RFC 8693",
        summary: "the access token, as subject_token, is exchanged for one meant for another audience",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            step_with(
                "token_exchange",
                &[("audience", "https://backend.example.org/")],
            ),
        ],
    },
    Story {
        name: "oidc_code",
        title: "OpenID Connect Authorization Code Flow",
        standard: "OIDC Core §3.1",
        summary: "discovery and the OP's keys, an ID token verified by the RP, userinfo with a Bearer token",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with(
                "authorization",
                &[("scope", "openid foobar offline_access email")],
            ),
            step("accesstoken"),
            step("userinfo"),
        ],
    },
    Story {
        name: "oidc_add_on_dpop",
        title: "OpenID Connect with DPoP",
        standard: "OIDC Core §3.1, RFC 9449",
        summary: "the code flow with DPoP-bound tokens; userinfo called with the DPoP scheme and a proof naming the token",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with("authorization", &[("scope", "openid foobar email")]),
            step_with("accesstoken", &[("dpop", "true")]),
            step("userinfo"),
        ],
    },
    Story {
        name: "oidc_code_claims",
        title: "Requesting Claims",
        standard: "OIDC Core §5.5",
        summary: "the claims parameter: nickname in the ID token; name, email, email_verified from userinfo",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with(
                "authorization",
                &[
                    ("scope", "openid foobar"),
                    (
                        "claims",
                        r#"{"id_token":{"nickname":null},"userinfo":{"name":null,"email":null,"email_verified":null}}"#,
                    ),
                ],
            ),
            step("accesstoken"),
            step("userinfo"),
        ],
    },
    Story {
        name: "oidc_code_dyn_reg",
        title: "Dynamic Client Registration",
        standard: "OIDC Registration 1.0, RFC 7591",
        summary: "the RP registers itself (redirect URI, public keys only, client_secret_post) and uses what it is issued",
        profile: "dynamic",
        steps: &[
            step("provider_info"),
            step_with(
                "registration",
                &[("token_endpoint_auth_method", "client_secret_post")],
            ),
            step("jwks"),
            step("authorization"),
            step("accesstoken"),
        ],
    },
    Story {
        name: "oidc_code_id_token",
        title: "Hybrid Flow",
        standard: "OIDC Core §3.3",
        summary: "response_type \"code id_token\": an ID token with c_hash in the fragment, then the code redeemed",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with(
                "authorization",
                &[
                    ("scope", "openid foobar"),
                    ("response_type", "code id_token"),
                ],
            ),
            step("accesstoken"),
        ],
    },
    Story {
        name: "oidc_id_token",
        title: "Implicit Flow (ID Token only)",
        standard: "OIDC Core §3.2",
        summary: "response_type id_token: the ID token alone, in the fragment, nonce required, claims inside",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with(
                "authorization",
                &[("scope", "openid email"), ("response_type", "id_token")],
            ),
        ],
    },
];

/// Discovery, then an authorization request and its code redeemed: the
/// opening of every code story.
const CODE_FLOW: [Step; 3] = [
    step("server_metadata"),
    step("authorization"),
    step("accesstoken"),
];

/// The story of that name.
pub fn find(name: &str) -> Option<&'static Story> {
    STORIES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = STORIES.iter().map(|s| s.name).collect();
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STORIES.len());
    }

    #[test]
    fn every_step_names_a_service_the_rp_offers() {
        for story in STORIES {
            for step in story.steps {
                assert!(
                    rp_service::service::ClientService::parse(step.service).is_some(),
                    "{}: {}",
                    story.name,
                    step.service
                );
            }
        }
    }
}
