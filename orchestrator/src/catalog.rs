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
