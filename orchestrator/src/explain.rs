//! `orchestrator explain STORY`: what a story shows, the standards it
//! follows, its steps, and the client and server settings it runs with —
//! read from the same catalog and configurations the runner uses.
use std::fmt::Write;

use rp_service::service::registry::ClientService;

use crate::catalog::{Kind, Story};

pub fn explain(story: &Story) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", story.name, story.title);
    let _ = writeln!(out, "  {}", story.summary);
    match story.kind() {
        Kind::Usage => {}
        Kind::Provider => {
            let _ = writeln!(
                out,
                "\nAttack: {} — a step sends what its clause forbids; an answer that does not refuse it is not_refused",
                Kind::Provider.says()
            );
        }
        Kind::Client => {
            let _ = writeln!(
                out,
                "\nAttack: {} — an attacker (or a malicious provider) makes an answer our client must not take; the provider's part is legitimate",
                Kind::Client.says()
            );
        }
    }
    let _ = writeln!(out, "\nStandards: {}", story.standard);
    let _ = writeln!(out, "\nSteps:");
    for (i, step) in story.steps.iter().enumerate() {
        let (endpoint, standard) = (
            format!("{:?}", step.service.endpoint()),
            step.service.standard(),
        );
        let args = if step.args.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = step.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(" [{}]", shown.join(", "))
        };
        let expect = match (&step.expect_error, step.expect_refusal) {
            (Some(e), _) => format!(" — the AS must refuse it with {}", e.as_str()),
            (None, Some(check)) if step.tamper.is_some() => {
                format!(" — an attacker tampers with the answer; the RP must fail check {check}")
            }
            (None, Some(check)) => {
                format!(" — delivered as it is once more; the RP must fail check {check}")
            }
            (None, None) => String::new(),
        };
        // The OP sends a back-channel notification; the RP only receives it.
        let to = if step.service == rp_service::service::ClientService::BackchannelLogout {
            "the OP's notification (from its EndSession answer) -> RP".to_owned()
        } else {
            format!("AS {endpoint}")
        };
        let _ = writeln!(
            out,
            "  {}. {} -> {to} ({standard}){args}{expect}",
            i + 1,
            step.service
        );
    }
    let _ = writeln!(out, "\nClient (RP profile {:?}):", story.profile);
    match rp_service::config::Config::default_config() {
        Ok(config) => match config.profiles.get(story.profile) {
            Some(p) => {
                let id = if p.register {
                    "(issued at registration)".to_owned()
                } else {
                    p.client_id.clone()
                };
                let _ = writeln!(out, "  client_id: {id}");
                let _ = writeln!(
                    out,
                    "  token_endpoint_auth_method: {}",
                    p.token_endpoint_auth_method
                );
                if let Some(uri) = &p.redirect_uri {
                    let _ = writeln!(out, "  redirect_uri: {uri}");
                }
                if let Some(uri) = &p.post_logout_redirect_uri {
                    let _ = writeln!(out, "  post_logout_redirect_uri: {uri}");
                }
                if let Some(scope) = &p.scope {
                    let _ = writeln!(out, "  default scope: {scope}");
                }
                let _ = writeln!(
                    out,
                    "  ID token alg accepted: {}",
                    p.id_token_signed_response_alg
                );
                let _ = writeln!(
                    out,
                    "  verifies access tokens itself: {}",
                    p.verify_access_token
                );
            }
            None => {
                let _ = writeln!(out, "  (no such profile in the RP configuration)");
            }
        },
        Err(e) => {
            let _ = writeln!(out, "  (RP configuration: {e})");
        }
    }
    let _ = writeln!(out, "\nServer (AS):");
    match as_service::config::Config::default_config() {
        Ok(config) => {
            let _ = writeln!(out, "  issuer: {}", config.issuer);
            let _ = writeln!(
                out,
                "  access tokens: {} JWT (RFC 9068), audience {}",
                oauth_core::jose::alg_name(config.access_token_alg),
                config.audience.join(" ")
            );
            let _ = writeln!(
                out,
                "  lifetimes: code {} s, refresh token {} s, ID token {} s, PAR request_uri {} s",
                config.code_lifetime,
                config.refresh_token_lifetime,
                config.id_token_lifetime,
                config.par.lifetime
            );
            let _ = writeln!(
                out,
                "  login: user {} ({})",
                config.login_user, config.login_acr
            );
            let device = story.steps.iter().any(|s| {
                matches!(
                    s.service,
                    ClientService::DeviceAuthorization
                        | ClientService::DeviceUser
                        | ClientService::DeviceToken
                )
            });
            if device {
                let d = &config.device;
                let _ = writeln!(
                    out,
                    "  device codes (RFC 8628): poll every {} s, valid {} s, user codes of {} letters, {} wrong ones per caller (an IPv6 /64 is one) per {} s and {} from everyone per {} s",
                    d.interval,
                    d.lifetime,
                    d.user_code_length,
                    d.max_user_code_failures,
                    d.failure_window,
                    d.max_global_user_code_failures,
                    d.global_failure_window
                );
            }
            if story
                .steps
                .iter()
                .any(|s| s.service == ClientService::JwtBearer)
            {
                let issuers: Vec<&str> = config
                    .jwt_bearer_issuers
                    .keys()
                    .map(String::as_str)
                    .collect();
                let _ = writeln!(
                    out,
                    "  JWT bearer assertions (RFC 7523) trusted from: {}",
                    issuers.join(", ")
                );
            }
            let client_id = rp_service::config::Config::default_config()
                .ok()
                .and_then(|c| c.profiles.get(story.profile).map(|p| p.client_id.clone()));
            match client_id.as_deref().and_then(|id| config.clients.get(id)) {
                Some(c) => {
                    let grants: Vec<&str> = c.grant_types.iter().map(|g| g.as_str()).collect();
                    let _ = writeln!(
                        out,
                        "  client {}: grants {}",
                        c.client_id,
                        grants.join(", ")
                    );
                    let _ = writeln!(out, "    scopes allowed: {}", c.scopes);
                    let _ = writeln!(
                        out,
                        "    access token lifetime: {} s",
                        c.access_token_lifetime
                    );
                    if !c.redirect_uris.is_empty() {
                        let _ = writeln!(out, "    redirect URIs: {}", c.redirect_uris.join(" "));
                    }
                    let _ = writeln!(out, "    PKCE required: {}", c.require_pkce);
                    let names_resources = story
                        .steps
                        .iter()
                        .any(|s| s.args.iter().any(|(k, _)| *k == "resource"));
                    if names_resources {
                        let _ = writeln!(
                            out,
                            "    resources (RFC 8707) it may ask for: {}",
                            c.audiences.join(" ")
                        );
                    }
                    if !c.authorization_details_types.is_empty() {
                        let _ = writeln!(
                            out,
                            "    authorization details types (RFC 9396): {}",
                            c.authorization_details_types.join(", ")
                        );
                    }
                    if c.fapi2 {
                        let _ = writeln!(
                            out,
                            "    FAPI 2.0 Security Profile: PAR required, PKCE S256, DPoP-bound tokens, codes for {} s, assertions for the issuer alone",
                            config.code_lifetime.min(60)
                        );
                    } else if c.dpop_bound {
                        let _ = writeln!(out, "    DPoP-bound tokens only (RFC 9449 §5.2)");
                    }
                    if !c.post_logout_redirect_uris.is_empty() {
                        let _ = writeln!(
                            out,
                            "    post-logout redirect URIs: {}",
                            c.post_logout_redirect_uris.join(" ")
                        );
                    }
                    if let Some(uri) = &c.backchannel_logout_uri {
                        let _ = writeln!(out, "    back-channel logout URI: {uri}");
                    }
                }
                None => {
                    let _ = writeln!(out, "  the client registers itself during the story");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  (AS configuration: {e})");
        }
    }
    out
}
