//! The login an ID token reports, held to what the authorization request
//! asked of it (OIDC Core §3.1.2.1) and to the login before it in the
//! session: `max_age` (auth_time present, a login older than it done
//! again), `prompt=login` (a new login), `prompt=none` and `id_token_hint`
//! (the same user, no new login needed).
use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;
use crate::session::{Identity, LoginAsked};

pub fn check(asked: &LoginAsked, now: i64, login: &Identity, parsed: &mut Parsed) {
    let before = asked.before.as_ref();
    if let Some(max_age) = asked.max_age {
        parsed.must(
            CheckId::IdTokenAuthTimeForMaxAge,
            "auth_time is present (max_age was asked)",
            login.auth_time.is_some(),
            login.auth_time.map_or("missing".into(), |t| format!("{t}")),
            "OIDC Core §3.1.2.1, §2",
        );
        let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
        // Judged on the OP's own clock: the new ID token's iat against the
        // login before (the RP's clock is not the OP's).
        let at = login.iat.unwrap_or(now);
        if let (Some(old), Some(new)) = (before.and_then(|b| b.auth_time), login.auth_time) {
            if at.saturating_sub(old) > max_age {
                // The login before is older than max_age: the OP MUST
                // authenticate again, so the new auth_time is later.
                parsed.must(
                    CheckId::LoginRenewed,
                    "the user was authenticated again (the login before is older than max_age)",
                    new > old,
                    format!(
                        "auth_time {new}, the login before {old}, {} s before this ID token; max_age {max_age} s",
                        at.saturating_sub(old)
                    ),
                    "OIDC Core §3.1.2.1",
                );
            } else {
                parsed.info(
                    CheckId::LoginRenewed,
                    "the login before is within max_age: the OP may keep it",
                    if new == old {
                        format!("kept: auth_time {new}")
                    } else {
                        format!("authenticated again: auth_time {new}, before {old}")
                    },
                    "OIDC Core §3.1.2.1",
                );
            }
        }
    }
    match asked.prompt.as_deref() {
        Some("login") => {
            if let (Some(old), Some(new)) = (before.and_then(|b| b.auth_time), login.auth_time) {
                parsed.should(
                    CheckId::LoginRenewed,
                    "the user was authenticated again (prompt=login)",
                    new > old,
                    format!("auth_time {new}, the login before {old}"),
                    "OIDC Core §3.1.2.1",
                );
            }
        }
        Some("none") => {
            if let Some(before) = before {
                parsed.must(
                    CheckId::LoginSameUser,
                    "the same user as the login before (prompt=none)",
                    login.sub == before.sub,
                    format!("sub {:?}, before {:?}", login.sub, before.sub),
                    "OIDC Core §3.1.2.1",
                );
            }
        }
        _ => {}
    }
    if let Some(hint) = &asked.hint_sub {
        parsed.must(
            CheckId::LoginHintedUser,
            "the user the id_token_hint names",
            login.sub == *hint,
            format!("sub {:?}, hinted {hint:?}", login.sub),
            "OIDC Core §3.1.2.1",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(sub: &str, auth_time: i64, iat: i64) -> Identity {
        Identity {
            iss: "https://op.example".into(),
            sub: sub.into(),
            aud: vec!["client".into()],
            azp: None,
            auth_time: Some(auth_time),
            iat: Some(iat),
            sid: None,
        }
    }

    fn outcome(asked: &LoginAsked, new: &Identity, id: CheckId) -> Option<(bool, String)> {
        let mut parsed = Parsed::default();
        check(asked, 2_000, new, &mut parsed);
        parsed
            .checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.ok, c.detail.clone()))
    }

    #[test]
    fn oidc_core_3_1_2_1_a_login_older_than_max_age_must_be_done_again() {
        let asked = LoginAsked {
            max_age: Some(1),
            before: Some(login("diana", 1_000, 1_000)),
            ..Default::default()
        };
        // Issued 3 s after the login before, whose auth_time it repeats.
        let kept = login("diana", 1_000, 1_003);
        assert_eq!(
            outcome(&asked, &kept, CheckId::LoginRenewed).map(|o| o.0),
            Some(false)
        );
        let renewed = login("diana", 1_003, 1_003);
        assert_eq!(
            outcome(&asked, &renewed, CheckId::LoginRenewed).map(|o| o.0),
            Some(true)
        );
        // max_age asked: auth_time MUST be there.
        let mut none = renewed.clone();
        none.auth_time = None;
        assert_eq!(
            outcome(&asked, &none, CheckId::IdTokenAuthTimeForMaxAge).map(|o| o.0),
            Some(false)
        );
    }

    #[test]
    fn oidc_core_3_1_2_1_prompt_none_and_the_hint_answer_for_the_user_logged_in() {
        let asked = LoginAsked {
            prompt: Some("none".into()),
            hint_sub: Some("diana".into()),
            before: Some(login("diana", 1_000, 1_000)),
            ..Default::default()
        };
        let other = login("mallory", 1_000, 1_001);
        assert_eq!(
            outcome(&asked, &other, CheckId::LoginSameUser).map(|o| o.0),
            Some(false)
        );
        assert_eq!(
            outcome(&asked, &other, CheckId::LoginHintedUser).map(|o| o.0),
            Some(false)
        );
        let same = login("diana", 1_000, 1_001);
        assert_eq!(
            outcome(&asked, &same, CheckId::LoginSameUser).map(|o| o.0),
            Some(true)
        );
    }

    #[test]
    fn oidc_core_3_1_2_1_prompt_login_should_bring_a_new_login() {
        let asked = LoginAsked {
            prompt: Some("login".into()),
            before: Some(login("diana", 1_000, 1_000)),
            ..Default::default()
        };
        let mut parsed = Parsed::default();
        check(&asked, 2_000, &login("diana", 1_000, 1_002), &mut parsed);
        let c = parsed
            .checks
            .iter()
            .find(|c| c.id == CheckId::LoginRenewed)
            .unwrap();
        assert!(!c.ok && c.level == crate::service::outcome::Level::Should);
    }
}
