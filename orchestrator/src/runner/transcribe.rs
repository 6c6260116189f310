//! A step as the transcript records it: the request, the answer, what the
//! RP made of it, and whether the step went as the story expects.
use oidc_story_proto::v1::{OAuthRequest, OAuthResponse, ParsedResponse};

use rp_service::service::CheckId;

use crate::catalog::{Attack, Step};
use crate::record::{
    CheckRecord, ErrorRecord, Json, JwtRecord, Level, Outcome, RequestRecord, ResponseRecord,
    StepRecord,
};

/// How the step is judged: against a provider we do not run (`exact`
/// false) any OAuth refusal of an attack counts, a code other than the
/// clause's a warning; our own AS must answer with the very code.
pub(super) struct Judge<'a> {
    pub exact: bool,
    /// The story's clause, cited by the verdict on an attack step.
    pub clause: &'a str,
}

pub(super) fn step_record(
    step: &Step,
    endpoint: &str,
    request: &OAuthRequest,
    response: &OAuthResponse,
    parsed: ParsedResponse,
    judge: &Judge<'_>,
) -> StepRecord {
    let error = (!parsed.error.is_empty()).then(|| ErrorRecord {
        error: parsed.error.clone(),
        error_description: parsed.error_description.clone(),
    });
    // The RP check the story expects to fail, found by its id (its text
    // is for people): a failed MUST, since a warning is no refusal.
    let refusal = step.expect_refusal.and_then(|id| {
        parsed
            .checks
            .iter()
            .find(|c| c.id == id.as_str() && !c.ok && Level::from_proto(c.level) == Level::Must)
    });
    // RFC 7591 §3.2.1: a registration the server answered by registering
    // other values than the attacker's (its keys left out, its grant types
    // replaced) refused what the attack asked for.
    let replaced: Vec<&str> = parsed
        .checks
        .iter()
        .filter(|c| c.id == rp_service::service::CheckId::RegistrationReplaced.as_str())
        .filter_map(|c| c.name.split(' ').next())
        .filter(|member| step.args.iter().any(|(k, _)| k == member))
        .collect();
    let by_replacement = error.is_none() && !replaced.is_empty();
    // A refusal the RP judged the provider's lawful answer (it declined
    // what its metadata does not offer): the step went as it should.
    let lawful = error.is_some()
        && step.expect_error.is_none()
        && step.expect_refusal.is_none()
        && lawful_refusal(&parsed.checks);
    let mut verdict = Vec::new();
    let ok = match (&step.expect_error, step.expect_refusal) {
        (Some(expected), _) => {
            let refused = by_replacement
                || match &error {
                    Some(e) if e.error == expected.as_str() => true,
                    Some(e) if !judge.exact => {
                        verdict.push(CheckRecord::verdict(
                            crate::record::REFUSAL_ERROR,
                            Level::Should,
                            "the refusal's error is the one its clause names",
                            false,
                            format!("{}, where {} is due", e.error, expected.as_str()),
                            judge.clause,
                        ));
                        true
                    }
                    Some(_) => false,
                    None => false,
                };
            if step.attack != Attack::None {
                verdict.insert(
                    0,
                    CheckRecord::verdict(
                        crate::record::VERDICT,
                        if step.attack == Attack::Must {
                            Level::Must
                        } else {
                            Level::Should
                        },
                        "the provider refuses the attack",
                        error.is_some() || by_replacement,
                        match &error {
                            Some(e) => format!("{} (status {})", e.error, response.status),
                            None if by_replacement => format!(
                                "registered with {} replaced (status {})",
                                replaced.join(", "),
                                response.status
                            ),
                            None => format!("accepted (status {})", response.status),
                        },
                        judge.clause,
                    ),
                );
            }
            refused || (error.is_none() && step.attack == Attack::Should)
        }
        // The attack succeeds unless the RP's named check fails.
        (None, Some(_)) => error.is_none() && refusal.is_some(),
        (None, None) => parsed.ok || lawful,
    };
    // Shown as the check's own text when the RP made it, else by its id.
    let expected_refusal = step
        .expect_refusal
        .map(|id| refusal.map_or_else(|| id.as_str().to_owned(), |c| c.name.clone()));
    // In a step whose refusal was expected and came, failed MUSTs are the
    // defences that held, not failures.
    let refusal_expected = ok
        && ((step.expect_error.is_some() && (error.is_some() || by_replacement))
            || step.expect_refusal.is_some());
    let mut checks: Vec<CheckRecord> = parsed
        .checks
        .into_iter()
        .map(|c| CheckRecord::new(c, refusal_expected))
        .collect();
    checks.extend(verdict);
    let warnings = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Warning)
        .count();
    let expected_error = match &step.expect_error {
        Some(e) => Some(e.as_str().to_owned()),
        None if lawful => error.as_ref().map(|e| e.error.clone()),
        None => None,
    };
    StepRecord {
        login: Vec::new(),
        elapsed: std::time::Duration::ZERO,
        service: step.service.name().to_owned(),
        endpoint: endpoint.to_owned(),
        request: RequestRecord {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            params: Json::params(request.body.clone(), request.url.clone()),
        },
        response: ResponseRecord {
            status: response.status,
            headers: response.headers.clone(),
            body: Json::text(response.body.clone()),
            location: Some(response.location.clone()).filter(|l| !l.is_empty()),
        },
        parsed: Json::text(parsed.parsed_json),
        checks,
        jwts: parsed
            .jwts
            .into_iter()
            .map(|j| JwtRecord {
                name: j.name,
                compact: j.compact,
                header: Json::text(j.header_json),
                claims: Json::text(j.claims_json),
                verified: j.verified,
                verification: j.verification,
            })
            .collect(),
        error,
        expected_error,
        expected_refusal,
        tampered: None,
        ok,
        warnings,
        sent_again: false,
        prepared_by: None,
        parsed_by: String::new(),
    }
}

/// Whether the RP's checks say a refusal was lawful: one that judges so
/// passed ([`CheckId::judges_refusal_lawful`]), and no MUST failed.
fn lawful_refusal(checks: &[oidc_story_proto::v1::Check]) -> bool {
    let must_failed = checks
        .iter()
        .any(|c| !c.ok && Level::from_proto(c.level) == Level::Must);
    !must_failed
        && checks
            .iter()
            .any(|c| c.ok && CheckId::parse(&c.id).is_some_and(CheckId::judges_refusal_lawful))
}

#[cfg(test)]
mod tests {
    use oidc_story_proto::v1::{Check, CheckLevel};
    use rp_service::service::CheckId;
    use rp_service::service::registry::ClientService;

    use super::*;
    use crate::catalog::Tamper;

    fn answer(id: &str, name: &str) -> ParsedResponse {
        let check = |id: &str, name: &str, ok| Check {
            id: id.into(),
            name: name.into(),
            ok,
            level: CheckLevel::Must as i32,
            ..Default::default()
        };
        ParsedResponse {
            checks: vec![
                check("authorization.code", "code is present", true),
                check(id, name, false),
            ],
            ..Default::default()
        }
    }

    fn record(parsed: ParsedResponse) -> StepRecord {
        let step = Step {
            service: ClientService::Authorization,
            args: &[],
            expect_error: None,
            expect_refusal: Some(CheckId::State),
            tamper: Some(Tamper::RedirectParam("state", "x")),
            attack: crate::catalog::Attack::None,
        };
        let (request, response) = (OAuthRequest::default(), OAuthResponse::default());
        let judge = Judge {
            exact: true,
            clause: "RFC 6749 §10.12",
        };
        step_record(&step, "Authorization", &request, &response, parsed, &judge)
    }

    #[test]
    fn an_expected_refusal_is_matched_by_id_whatever_the_check_says() {
        let reworded = record(answer("authorization.state", "the state differs"));
        assert!(reworded.ok, "the refusal is found by its id");
        assert_eq!(
            reworded.expected_refusal.as_deref(),
            Some("the state differs")
        );
        // The same text under another id is not the refusal expected.
        let other = record(answer("authorization.iss", "state is the one sent"));
        assert!(!other.ok);
        assert_eq!(
            other.expected_refusal.as_deref(),
            Some("authorization.state")
        );
    }

    /// A registration attack (a private key published) answered 201 with
    /// the key set left out of what was registered.
    fn registration(replaced: &[&str], exact: bool) -> StepRecord {
        let step = Step {
            service: ClientService::Registration,
            args: &[("jwks", "private")],
            expect_error: Some(oauth_core::error::ErrorCode::InvalidClientMetadata),
            expect_refusal: None,
            tamper: None,
            attack: crate::catalog::Attack::Should,
        };
        let parsed = ParsedResponse {
            checks: replaced
                .iter()
                .map(|member| Check {
                    id: CheckId::RegistrationReplaced.as_str().into(),
                    name: format!("{member} registered otherwise than sent"),
                    ok: true,
                    level: CheckLevel::Info as i32,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let response = OAuthResponse {
            status: 201,
            ..Default::default()
        };
        let judge = Judge {
            exact,
            clause: "RFC 7591 §2",
        };
        step_record(
            &step,
            "Registration",
            &OAuthRequest::default(),
            &response,
            parsed,
            &judge,
        )
    }

    #[test]
    fn rfc7591_3_2_1_a_registration_that_left_out_the_attackers_keys_refused_them() {
        let record = registration(&["jwks"], false);
        assert!(record.ok);
        assert_eq!(record.warnings, 0);
        let verdict = record
            .checks
            .iter()
            .find(|c| c.id == crate::record::VERDICT)
            .unwrap();
        assert!(verdict.ok, "{}", verdict.detail);
        assert!(
            verdict.detail.contains("jwks replaced"),
            "{}",
            verdict.detail
        );
        // Another member replaced is no refusal of this attack.
        let other = registration(&["grant_types"], false);
        let verdict = other
            .checks
            .iter()
            .find(|c| c.id == crate::record::VERDICT)
            .unwrap();
        assert!(!verdict.ok);
        assert_eq!(other.warnings, 1, "a SHOULD let through warns");
    }

    #[test]
    fn a_refusal_the_rp_judged_lawful_is_the_step_going_as_it_should() {
        let step = Step {
            service: ClientService::Authorization,
            args: &[],
            expect_error: None,
            expect_refusal: None,
            tamper: None,
            attack: crate::catalog::Attack::None,
        };
        let judged = |ok| oidc_story_proto::v1::Check {
            id: CheckId::UnsignedRequestObjectRefused.as_str().into(),
            name: "an unsigned request object is refused only where it is not offered".into(),
            ok,
            level: CheckLevel::Must as i32,
            ..Default::default()
        };
        let refused = |ok| ParsedResponse {
            ok: false,
            error: "invalid_request_object".into(),
            checks: vec![judged(ok)],
            ..Default::default()
        };
        let judge = Judge {
            exact: true,
            clause: "OIDC Core §6.1",
        };
        let (request, response) = (OAuthRequest::default(), OAuthResponse::default());
        let record = step_record(
            &step,
            "Authorization",
            &request,
            &response,
            refused(true),
            &judge,
        );
        assert!(record.ok);
        assert_eq!(
            record.expected_error.as_deref(),
            Some("invalid_request_object"),
            "shown as refused as expected"
        );
        // Judged unlawful (the metadata offers what was refused): a failure.
        let record = step_record(
            &step,
            "Authorization",
            &request,
            &response,
            refused(false),
            &judge,
        );
        assert!(!record.ok);
        assert_eq!(record.expected_error, None);
    }
}
