//! Which stories a command line names: by name (a mistyped one gets the
//! nearest as a suggestion), all of them, or a plan's.
use super::error::Error;
use crate::catalog::{self, Story};
use crate::plan::{self, Plan};

/// The plan of that name; an unknown one is a usage error naming the
/// plans there are.
pub(crate) fn plan(name: &str) -> Result<&'static Plan, Error> {
    plan::find(name).ok_or_else(|| {
        let known: Vec<&str> = plan::PLANS.iter().map(|p| p.name).collect();
        Error::Usage(format!(
            "unknown plan {name:?}; the plans: {} (`orchestrator list --plans` shows their modules)",
            known.join(", ")
        ))
    })
}

/// A plan's modules whose story the catalog does not hold, each as the
/// internal error it is: the run goes on with the rest, and their rows say
/// so.
pub(crate) fn plan_gaps(plan: &Plan) -> Vec<String> {
    plan.modules
        .iter()
        .filter(|m| catalog::find(m.story).is_none())
        .map(|m| crate::summary::plan::not_in_catalog(plan, m.name, m.story))
        .collect()
}

pub(crate) fn unknown_story(name: &str) -> Error {
    let hint = match closest_story(name) {
        Some(near) => format!("did you mean {near}? "),
        None => String::new(),
    };
    Error::Usage(format!(
        "unknown story {name:?}; {hint}`orchestrator list` shows the stories"
    ))
}

/// The story whose name is nearest a mistyped one (a few letters off).
fn closest_story(name: &str) -> Option<&'static str> {
    catalog::all()
        .map(|s| (edit_distance(name, s.name), s.name))
        .filter(|(d, known)| *d <= (known.len() / 4).clamp(1, 3))
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The stories named on the command line, or every story (and attack).
pub(crate) fn select(
    names: &[String],
    all: bool,
    attacks: bool,
) -> Result<Vec<&'static Story>, Error> {
    if all || attacks {
        if !names.is_empty() {
            return Err(Error::Usage(
                "give story names or --all/--attacks, not both".into(),
            ));
        }
        return Ok(if all {
            catalog::all().collect()
        } else {
            catalog::ATTACKS.iter().collect()
        });
    }
    if names.is_empty() {
        return Err(Error::Usage(
            "name the stories to run, or --all or --attacks (`orchestrator list` shows them)"
                .into(),
        ));
    }
    names
        .iter()
        .map(|name| catalog::find(name).ok_or_else(|| unknown_story(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_story_name_suggests_the_nearest() {
        assert_eq!(closest_story("oauth2_ccc"), Some("oauth2_cc"));
        assert_eq!(closest_story("oauth2_cod"), Some("oauth2_code"));
        assert_eq!(closest_story("no_such_thing_at_all"), None);
        let message = unknown_story("oauth2_ccc").to_string();
        assert!(message.contains("did you mean oauth2_cc?"), "{message}");
    }

    #[test]
    fn an_unknown_plan_names_the_plans() {
        let message = plan("oidcc-basics").unwrap_err().to_string();
        assert!(
            message.contains("unknown plan \"oidcc-basics\""),
            "{message}"
        );
        assert!(message.contains("the plans: oidcc-basic"), "{message}");
        assert_eq!(plan("oidcc-basic").unwrap().name, "oidcc-basic");
    }

    #[test]
    fn edit_distance_counts_single_letter_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
