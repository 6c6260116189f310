//! Test plans: a certification plan's modules, each run by one story of
//! the catalog. `run --plan NAME` runs a plan's stories (each once, in the
//! modules' order) and the summary shows the plan as a table, one row per
//! module: its clause and its story's outcome.
use crate::catalog::{self, Story};

/// A plan: its modules, in the order the plan lists them.
#[derive(Debug)]
pub struct Plan {
    /// The name `run --plan` takes.
    pub name: &'static str,
    pub title: &'static str,
    /// Where the plan is defined.
    pub source: &'static str,
    pub modules: &'static [Module],
}

/// One module of a plan and the story that runs it.
#[derive(Debug)]
pub struct Module {
    /// The module's public name, e.g. `oidcc-server`.
    pub name: &'static str,
    /// The story of the catalog that checks what the module checks.
    pub story: &'static str,
    /// The clauses the module checks.
    pub clause: &'static str,
}

const fn module(name: &'static str, story: &'static str, clause: &'static str) -> Module {
    Module {
        name,
        story,
        clause,
    }
}

/// The OpenID Foundation's Basic OP certification plan
/// (`oidcc-basic-certification-test-plan`: the code flow,
/// client_secret_basic), module by module. What each checks comes from the
/// clauses it cites; the stories are the project's own.
pub const OIDCC_BASIC: Plan = Plan {
    name: "oidcc-basic",
    title: "OpenID Connect Basic OP (code flow, client_secret_basic)",
    source: "OpenID Foundation conformance suite, oidcc-basic-certification-test-plan",
    modules: &[
        module("oidcc-server", "oidc_code", "OIDC Core §3.1"),
        module(
            "oidcc-response-type-missing",
            "attack_response_type_missing",
            "OIDC Core §3.1.2.2, RFC 6749 §4.1.2.1",
        ),
        module("oidcc-userinfo-get", "oidc_code", "OIDC Core §5.3.1"),
        module(
            "oidcc-userinfo-post-header",
            "oidc_userinfo_post_header",
            "OIDC Core §5.3.1, RFC 6750 §2.1",
        ),
        module(
            "oidcc-userinfo-post-body",
            "oidc_userinfo_post_body",
            "OIDC Core §5.3.1, RFC 6750 §2.2",
        ),
        module(
            "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
            "oidc_code_without_nonce",
            "OIDC Core §3.1.2.1",
        ),
        module(
            "oidcc-scope-profile",
            "oidc_scope_profile",
            "OIDC Core §5.4",
        ),
        module("oidcc-scope-email", "oidc_scope_email", "OIDC Core §5.4"),
        module(
            "oidcc-scope-address",
            "oidc_scope_address",
            "OIDC Core §5.4",
        ),
        module("oidcc-scope-phone", "oidc_scope_phone", "OIDC Core §5.4"),
        module("oidcc-scope-all", "oidc_scope_all", "OIDC Core §5.4"),
        module(
            "oidcc-ensure-other-scope-order-succeeds",
            "oidc_scope_order",
            "RFC 6749 §3.3",
        ),
        module(
            "oidcc-display-page",
            "oidc_display_page",
            "OIDC Core §3.1.2.1",
        ),
        module(
            "oidcc-display-popup",
            "oidc_display_popup",
            "OIDC Core §3.1.2.1",
        ),
        module(
            "oidcc-prompt-login",
            "oidc_prompt_login",
            "OIDC Core §3.1.2.1",
        ),
        module(
            "oidcc-prompt-none-not-logged-in",
            "oidc_prompt_none_not_logged_in",
            "OIDC Core §3.1.2.1, §3.1.2.6",
        ),
        module(
            "oidcc-prompt-none-logged-in",
            "oidc_prompt_none_logged_in",
            "OIDC Core §3.1.2.1",
        ),
        module(
            "oidcc-max-age-1",
            "oidc_max_age_1",
            "OIDC Core §3.1.2.1, §2",
        ),
        module(
            "oidcc-max-age-10000",
            "oidc_max_age_10000",
            "OIDC Core §3.1.2.1, §2",
        ),
        module(
            "oidcc-ensure-request-with-unknown-parameter-succeeds",
            "oidc_unknown_parameter",
            "OIDC Core §3.1.2.1, RFC 6749 §3.1",
        ),
        module(
            "oidcc-id-token-hint",
            "oidc_id_token_hint",
            "OIDC Core §3.1.2.1",
        ),
        module("oidcc-login-hint", "oidc_login_hint", "OIDC Core §3.1.2.1"),
        module("oidcc-ui-locales", "oidc_ui_locales", "OIDC Core §3.1.2.1"),
        module(
            "oidcc-claims-locales",
            "oidc_claims_locales",
            "OIDC Core §5.2",
        ),
        module(
            "oidcc-ensure-request-with-acr-values-succeeds",
            "oidc_acr_values",
            "OIDC Core §3.1.2.1, §2",
        ),
        module("oidcc-codereuse", "attack_code_replay", "RFC 6749 §4.1.2"),
        module(
            "oidcc-codereuse-30seconds",
            "attack_code_replay_30s",
            "RFC 6749 §4.1.2",
        ),
        module(
            "oidcc-ensure-registered-redirect-uri",
            "attack_redirect_uri_unregistered",
            "RFC 6749 §3.1.2.4, §4.1.2.1",
        ),
        module(
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
            "oidc_request_object_unsigned",
            "OIDC Core §6.1, §6.2",
        ),
        module(
            "oidcc-claims-essential",
            "oidc_code_claims",
            "OIDC Core §5.5.1",
        ),
        module(
            "oidcc-ensure-request-object-with-redirect-uri",
            "oidc_request_object_redirect_uri",
            "OIDC Core §6.1",
        ),
        module("oidcc-refresh-token", "oidc_refresh_token", "OIDC Core §12"),
        module(
            "oidcc-ensure-request-with-valid-pkce-succeeds",
            "oidc_code_pkce",
            "RFC 7636 §4",
        ),
    ],
};

/// Every plan.
pub const PLANS: &[Plan] = &[OIDCC_BASIC];

/// The plan of that name.
pub fn find(name: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.name == name)
}

impl Plan {
    /// The plan's stories, each once, in the order of its modules.
    pub fn stories(&self) -> Vec<&'static Story> {
        let mut stories: Vec<&'static Story> = Vec::new();
        for m in self.modules {
            if let Some(story) = catalog::find(m.story)
                && !stories.iter().any(|s| s.name == story.name)
            {
                stories.push(story);
            }
        }
        stories
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basic_op_plan_has_its_33_modules_each_with_a_story_of_the_catalog() {
        assert_eq!(OIDCC_BASIC.modules.len(), 33);
        for m in OIDCC_BASIC.modules {
            assert!(catalog::find(m.story).is_some(), "{}: {}", m.name, m.story);
        }
        let mut names: Vec<_> = OIDCC_BASIC.modules.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 33, "each module once");
    }
}
