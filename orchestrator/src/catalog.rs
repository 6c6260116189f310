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
    /// The OAuth error the AS must answer this step with (an attack it
    /// refuses); `None`: the AS must not refuse.
    pub expect_error: Option<&'static str>,
    /// The RP check that must fail on this step's answer (an attack the
    /// RP refuses).
    pub expect_refusal: Option<&'static str>,
    /// What an attacker does to the AS's answer before the RP sees it.
    pub tamper: Option<Tamper>,
}

/// An attacker between the AS and the RP (the browser, a network): what it
/// changes in an answer.
#[derive(Debug, Clone, Copy)]
pub enum Tamper {
    /// Sets a parameter of the redirect (query or fragment).
    RedirectParam(&'static str, &'static str),
    /// Puts back the value a parameter had in this story's previous redirect
    /// (an ID token from another login, injected).
    ReplayRedirectParam(&'static str),
    /// Replaces the ID token of the redirect by one with the same claims,
    /// HS256-signed with the OP's public key set as the secret.
    Hs256IdToken,
}

const fn step(service: &'static str) -> Step {
    step_with(service, &[])
}

const fn step_with(service: &'static str, args: &'static [(&'static str, &'static str)]) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: None,
        tamper: None,
    }
}

/// An attack step the AS must refuse with `error`.
const fn refused(
    service: &'static str,
    args: &'static [(&'static str, &'static str)],
    error: &'static str,
) -> Step {
    Step {
        service,
        args,
        expect_error: Some(error),
        expect_refusal: None,
        tamper: None,
    }
}

/// An attack step whose tampered answer the RP must refuse by failing `check`.
const fn rp_refuses(
    service: &'static str,
    args: &'static [(&'static str, &'static str)],
    tamper: Tamper,
    check: &'static str,
) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: Some(check),
        tamper: Some(tamper),
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

/// Attack stories: one step in each is an attack, which the AS (or the RP)
/// must refuse; the story fails if the attack succeeds.
pub const ATTACKS: &[Story] = &[
    Story {
        name: "attack_code_replay",
        title: "Authorization code replay",
        standard: "RFC 6749 §4.1.2, §10.5",
        summary: "the code is redeemed twice: the second use is refused and the tokens of the first are revoked",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            refused("accesstoken", &[], "invalid_grant"),
            step_with("introspection", &[("expect_active", "false")]),
        ],
    },
    Story {
        name: "attack_code_other_client",
        title: "A code redeemed by another client",
        standard: "RFC 6749 §4.1.3",
        summary: "client_2 presents client's code with its own credentials",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            refused("accesstoken", &[("client", "client_2")], "invalid_grant"),
        ],
    },
    Story {
        name: "attack_redirect_uri_swap",
        title: "redirect_uri swapped at the token endpoint",
        standard: "RFC 6749 §4.1.3, RFC 9700 §4.1",
        summary: "the token request names another redirect_uri than the authorization request",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            refused(
                "accesstoken",
                &[("redirect_uri", "https://attacker.example/cb")],
                "invalid_grant",
            ),
        ],
    },
    Story {
        name: "attack_pkce_downgrade",
        title: "PKCE downgrade",
        standard: "RFC 7636 §4.6, RFC 9700 §2.1.1",
        summary: "a challenge was sent; the token request omits the verifier",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step_with("authorization", &[("pkce", "S256")]),
            refused("accesstoken", &[("code_verifier", "omit")], "invalid_grant"),
        ],
    },
    Story {
        name: "attack_pkce_mismatch",
        title: "PKCE verifier mismatch",
        standard: "RFC 7636 §4.6",
        summary: "the token request carries a verifier that does not hash to the challenge",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step_with("authorization", &[("pkce", "S256")]),
            refused(
                "accesstoken",
                &[(
                    "code_verifier",
                    "an-intercepted-code-needs-the-right-verifier-000",
                )],
                "invalid_grant",
            ),
        ],
    },
    Story {
        name: "attack_state_mismatch",
        title: "CSRF: a response with another state",
        standard: "RFC 6749 §10.12, RFC 9700 §4.7",
        summary: "an attacker's authorization response reaches the RP; its state is not the one sent",
        profile: "client",
        steps: &[
            step("server_metadata"),
            rp_refuses(
                "authorization",
                &[],
                Tamper::RedirectParam("state", "attacker-chosen-state"),
                "state is the one sent",
            ),
        ],
    },
    Story {
        name: "attack_mix_up",
        title: "Mix-up: a response from another AS",
        standard: "RFC 9207, RFC 9700 §4.4",
        summary: "the authorization response claims another issuer; the RFC 9207 iss check catches it",
        profile: "client",
        steps: &[
            step("server_metadata"),
            rp_refuses(
                "authorization",
                &[],
                Tamper::RedirectParam("iss", "https://attacker.example/"),
                "iss is the AS asked",
            ),
        ],
    },
    Story {
        name: "attack_refresh_reuse",
        title: "Refresh token reuse after rotation",
        standard: "RFC 9700 §4.14.2",
        summary: "the spent refresh token is presented again: refused, and the whole family is revoked",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            step("refresh_token"),
            refused(
                "refresh_token",
                &[("refresh_token", "previous")],
                "invalid_grant",
            ),
            refused("refresh_token", &[], "invalid_grant"),
        ],
    },
    Story {
        name: "attack_dpop_replay",
        title: "A replayed DPoP proof",
        standard: "RFC 9449 §11.1",
        summary: "the proof of the token request is sent again with the refresh request",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step_with("accesstoken", &[("dpop", "true")]),
            refused(
                "refresh_token",
                &[("dpop_proof", "replay")],
                "invalid_dpop_proof",
            ),
        ],
    },
    Story {
        name: "attack_dpop_wrong_htu",
        title: "A DPoP proof for another URL",
        standard: "RFC 9449 §4.3",
        summary: "a proof made for the userinfo endpoint is presented at the token endpoint",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step_with("accesstoken", &[("dpop", "true")]),
            refused(
                "refresh_token",
                &[("dpop_proof", "wrong_htu")],
                "invalid_dpop_proof",
            ),
        ],
    },
    Story {
        name: "attack_dpop_as_bearer",
        title: "A DPoP-bound token presented as Bearer",
        standard: "RFC 9449 §7.2",
        summary: "a stolen DPoP-bound token is worthless without the key: userinfo refuses it as Bearer",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with("authorization", &[("scope", "openid foobar")]),
            step_with("accesstoken", &[("dpop", "true")]),
            refused("userinfo", &[("token_scheme", "Bearer")], "invalid_token"),
        ],
    },
    Story {
        name: "attack_jar_alg_none",
        title: "An unsigned request object",
        standard: "RFC 9101 §6.2",
        summary: "a request object with alg none is refused",
        profile: "dynamic",
        steps: &[
            step("server_metadata"),
            step_with("registration", &[("request_object_signing_alg", "ES256")]),
            refused(
                "authorization",
                &[("jar", "value"), ("jar_alg", "none"), ("scope", "foobar")],
                "invalid_request_object",
            ),
        ],
    },
    Story {
        name: "attack_jar_foreign_key",
        title: "A request object signed by a foreign key",
        standard: "RFC 9101 §6.2",
        summary: "a request object signed by a key the client never registered is refused",
        profile: "dynamic",
        steps: &[
            step("server_metadata"),
            step_with("registration", &[("request_object_signing_alg", "ES256")]),
            refused(
                "authorization",
                &[
                    ("jar", "value"),
                    ("jar_key", "foreign"),
                    ("scope", "foobar"),
                ],
                "invalid_request_object",
            ),
        ],
    },
    Story {
        name: "attack_par_reuse",
        title: "A request_uri used twice",
        standard: "RFC 9126 §4",
        summary: "a pushed request's request_uri is single-use",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("pushed_authorization"),
            step("authorization"),
            refused(
                "authorization",
                &[("request_uri", "previous")],
                "invalid_request_uri",
            ),
        ],
    },
    Story {
        name: "attack_par_other_client",
        title: "A request_uri used by another client",
        standard: "RFC 9126 §4",
        summary: "client_2 presents the request_uri client pushed",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("pushed_authorization"),
            refused(
                "authorization",
                &[("client", "client_2")],
                "invalid_request_uri",
            ),
        ],
    },
    Story {
        name: "attack_id_token_wrong_nonce",
        title: "An injected ID token (wrong nonce)",
        standard: "OIDC Core §3.1.3.7 (11), §15.5.2",
        summary: "the ID token of an earlier login is injected into a new one; its nonce gives it away",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            step_with(
                "authorization",
                &[("response_type", "id_token"), ("scope", "openid")],
            ),
            rp_refuses(
                "authorization",
                &[("response_type", "id_token"), ("scope", "openid")],
                Tamper::ReplayRedirectParam("id_token"),
                "nonce is the one sent",
            ),
        ],
    },
    Story {
        name: "attack_id_token_hs256",
        title: "An ID token HS256-signed with the OP's public key",
        standard: "OIDC Core §3.1.3.7 (6, 7), RFC 8725 §2.1",
        summary: "the algorithm-confusion forgery: the RP accepts only the registered RS256 with the OP's key",
        profile: "client",
        steps: &[
            step("provider_info"),
            step("jwks"),
            rp_refuses(
                "authorization",
                &[("response_type", "id_token"), ("scope", "openid")],
                Tamper::Hs256IdToken,
                "signature verifies with the OP's key",
            ),
        ],
    },
    Story {
        name: "attack_introspection_without_auth",
        title: "Introspection without client authentication",
        standard: "RFC 7662 §2.1, §4",
        summary: "only an authenticated client may ask about a token",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            refused(
                "introspection",
                &[("token_endpoint_auth_method", "none")],
                "invalid_client",
            ),
        ],
    },
    Story {
        name: "attack_revocation_without_auth",
        title: "Revocation without client authentication",
        standard: "RFC 7009 §2.1",
        summary: "a confidential client's token can only be revoked by that client, authenticated",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            refused(
                "token_revocation",
                &[("token_endpoint_auth_method", "none")],
                "invalid_client",
            ),
        ],
    },
    Story {
        name: "attack_exchange_revoked",
        title: "Token exchange of a revoked token",
        standard: "RFC 8693 §2.2.2",
        summary: "a revoked access token cannot be exchanged for a fresh one",
        profile: "client",
        steps: &[
            step("server_metadata"),
            step("authorization"),
            step("accesstoken"),
            step("token_revocation"),
            refused("token_exchange", &[], "invalid_request"),
        ],
    },
    Story {
        name: "attack_registration_private_key",
        title: "Registration publishing a private key",
        standard: "RFC 7591 §2, RFC 7517 §5",
        summary: "the OP refuses client metadata whose jwks holds private key material",
        profile: "dynamic",
        steps: &[
            step("provider_info"),
            refused(
                "registration",
                &[("jwks", "private")],
                "invalid_client_metadata",
            ),
        ],
    },
    Story {
        name: "attack_registration_symmetric_key",
        title: "Registration publishing a symmetric key",
        standard: "RFC 7591 §2, RFC 7518 §6.4",
        summary: "the OP refuses client metadata whose jwks holds a secret (oct) key",
        profile: "dynamic",
        steps: &[
            step("provider_info"),
            refused(
                "registration",
                &[("jwks", "symmetric")],
                "invalid_client_metadata",
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

/// The story (or attack) of that name.
pub fn find(name: &str) -> Option<&'static Story> {
    all().find(|s| s.name == name)
}

/// Every story, then every attack.
pub fn all() -> impl Iterator<Item = &'static Story> {
    STORIES.iter().chain(ATTACKS.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = all().map(|s| s.name).collect();
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STORIES.len() + ATTACKS.len());
        assert!(ATTACKS.iter().all(|a| a.name.starts_with("attack_")));
        assert!(ATTACKS.iter().all(|a| {
            a.steps
                .iter()
                .any(|s| s.expect_error.is_some() || s.expect_refusal.is_some())
        }));
    }

    #[test]
    fn every_step_names_a_service_the_rp_offers() {
        for story in all() {
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
