//! Per-app targets for chains of `app.name` revisions (Django): the `migrate APP NAME` calls
//! that take a database from the revisions it holds to exactly a prefix of the chain's order.
//!
//! Django moves one app at a time (`migrate api 0002` also applies what api.0002 depends on,
//! and unapplies what depends on the migrations it removes), while the harness walks one
//! dependency-respecting order across every app. Because the order is topological, each
//! prefix holds the dependencies of everything in it, so per-app targets reach it exactly.

use std::fmt;

use super::{DriverError, TargetError};

/// One `migrate APP NAME` call; `name` None is Django's `zero` (nothing of the app applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMove {
    pub app: String,
    pub name: Option<String>,
}

impl AppMove {
    /// The name as Django's `migrate` takes it.
    pub fn name_or_zero(&self) -> &str {
        self.name.as_deref().unwrap_or("zero")
    }
}

impl fmt::Display for AppMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.app, self.name_or_zero())
    }
}

/// `api.0002_label` → (`api`, `0002_label`).
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('.')
        .filter(|(a, n)| !a.is_empty() && !n.is_empty())
}

/// The moves from `applied` to `order[..=target]` (`None`: nothing applied): removals first,
/// newest first, then additions in chain order. Revisions outside the order are ignored.
pub fn moves(
    order: &[String],
    applied: &[String],
    target: Option<&str>,
) -> Result<Vec<AppMove>, DriverError> {
    let keep = match target {
        None => 0,
        Some(t) => {
            order
                .iter()
                .position(|o| o == t)
                .ok_or_else(|| TargetError::UnknownRevision(t.to_string()))?
                + 1
        }
    };
    let mut apps: Vec<&str> = Vec::new();
    for id in order {
        let (app, _) = split_id(id).ok_or_else(|| DriverError::NotAppName { id: id.clone() })?;
        if !apps.contains(&app) {
            apps.push(app);
        }
    }
    fn app_of(id: &str) -> Option<&str> {
        split_id(id).map(|(a, _)| a)
    }
    let mut downs: Vec<(usize, AppMove)> = Vec::new();
    let mut ups: Vec<(usize, AppMove)> = Vec::new();
    for app in apps {
        let want = order[..keep].iter().rposition(|id| app_of(id) == Some(app));
        let mv = AppMove {
            app: app.to_string(),
            name: want.map(|i| split_id(&order[i]).expect("checked").1.to_string()),
        };
        let extra = order
            .iter()
            .enumerate()
            .skip(keep)
            .filter(|(_, id)| app_of(id) == Some(app) && applied.contains(id))
            .map(|(i, _)| i)
            .max();
        let missing = order[..keep]
            .iter()
            .any(|id| app_of(id) == Some(app) && !applied.contains(id));
        if let Some(i) = extra {
            downs.push((i, mv.clone()));
        }
        if missing {
            ups.push((want.expect("a missing revision is kept"), mv));
        }
    }
    downs.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    ups.sort_by_key(|(i, _)| *i);
    Ok(downs.into_iter().chain(ups).map(|(_, m)| m).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Vec<String> {
        [
            "accounts.0001_initial",
            "api.0001_initial",
            "accounts.0002_email",
            "api.0002_label",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn shown(m: &[AppMove]) -> Vec<String> {
        m.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn one_step_up_moves_only_the_revisions_app() {
        let o = order();
        let m = moves(&o, &o[..2], Some("accounts.0002_email")).unwrap();
        assert_eq!(shown(&m), ["accounts 0002_email"]);
    }

    #[test]
    fn one_step_down_unapplies_only_the_newest() {
        let o = order();
        let m = moves(&o, &o, Some("accounts.0002_email")).unwrap();
        assert_eq!(shown(&m), ["api 0001_initial"]);
    }

    #[test]
    fn down_to_a_revision_of_another_app_moves_every_app_past_it() {
        let o = order();
        let m = moves(&o, &o, Some("api.0001_initial")).unwrap();
        assert_eq!(shown(&m), ["api 0001_initial", "accounts 0001_initial"]);
    }

    #[test]
    fn base_is_zero_for_every_applied_app() {
        let o = order();
        let m = moves(&o, &o[..3], None).unwrap();
        assert_eq!(shown(&m), ["accounts zero", "api zero"]);
        assert!(moves(&o, &[], None).unwrap().is_empty());
    }

    #[test]
    fn head_from_base_goes_up_app_by_app_in_order() {
        let o = order();
        let m = moves(&o, &[], Some("api.0002_label")).unwrap();
        assert_eq!(shown(&m), ["accounts 0002_email", "api 0002_label"]);
    }

    #[test]
    fn already_there_is_no_move_and_strangers_are_ignored() {
        let o = order();
        let mut applied = o[..2].to_vec();
        applied.push("auth.0001_initial".into());
        assert!(moves(&o, &applied, Some("api.0001_initial"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn unknown_targets_and_unqualified_ids_are_errors() {
        let o = order();
        assert!(matches!(
            moves(&o, &[], Some("api.0009")),
            Err(DriverError::Target(TargetError::UnknownRevision(_)))
        ));
        let bad = vec!["0001_initial".to_string()];
        assert_eq!(
            moves(&bad, &[], None).unwrap_err().to_string(),
            "0001_initial is not APP.NAME"
        );
    }
}
