//! Request coalescing (opt-in): `getUser` calls made within one window are answered from
//! `/user/bulk` lookups, one per expand set, and each caller gets exactly what its own call
//! would have given. The grouping, which expands may be coalesced, and the 404 for an id the
//! bulk answer leaves out are decided here; the skin only collects the calls and hands out
//! the answers.
//!
//! How a coalesced `getUser` differs from one sent to `/user` (documented for users too):
//! the user is a `/user/bulk` record, which has no deprecated `externalCollaborator` field
//! (`isExternalCollaborator` holds the same value) and whose `_links` hold only `self`; and a
//! failed bulk request rejects every caller of its batch with that request's error.

use crate::bulk::IdSet;
use crate::error::Error;
use crate::models::AccountId;
use crate::{BulkExpand, UserExpand};

/// The `/user/bulk` expands of a `getUser` call, or `None` when its result would differ from
/// `/user`'s and the call must not be coalesced: `isExternalCollaborator` is an expand only
/// `/user` takes.
pub fn bulk_expand(expand: &[UserExpand]) -> Option<Vec<BulkExpand>> {
    expand
        .iter()
        .map(|e| match e {
            UserExpand::Operations => Some(BulkExpand::Operations),
            UserExpand::DetailsPersonal => Some(BulkExpand::DetailsPersonal),
            UserExpand::DetailsBusiness => Some(BulkExpand::DetailsBusiness),
            UserExpand::PersonalSpace => Some(BulkExpand::PersonalSpace),
            UserExpand::IsExternalCollaborator => None,
        })
        .collect()
}

/// Whether a `getUser` of this id may go into a bulk lookup: `/user/bulk` takes its ids as one
/// comma-separated parameter, so an id holding a comma would be split in two.
pub fn coalescable_id(account_id: &str) -> bool {
    !account_id.is_empty() && !account_id.contains(',')
}

/// Whether a call may share a request with others (an identical request already in flight):
/// only with coalescing on (`window_ms`, the client's `coalesce` option), and only for a call
/// without a signal of its own, whose abort would otherwise end the others' request too.
pub fn shares(window_ms: Option<u32>, has_signal: bool) -> bool {
    window_ms.is_some() && !has_signal
}

/// The window a `getUser` call waits in to be answered by a bulk lookup with the others of
/// that window, or `None` when it is sent on its own: it must be able to share
/// ([`shares`]), its id must fit a bulk lookup ([`coalescable_id`]) and its expands must
/// have bulk equivalents ([`bulk_expand`]).
pub fn window_for(
    window_ms: Option<u32>,
    has_signal: bool,
    account_id: &str,
    expand: &[UserExpand],
) -> Option<u32> {
    window_ms.filter(|_| {
        shares(window_ms, has_signal) && coalescable_id(account_id) && bulk_expand(expand).is_some()
    })
}

/// One bulk lookup standing for several `getUser` calls with the same expands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Which calls (indexes into what [`batches`] was given) it answers, in call order.
    pub callers: Vec<usize>,
    /// The distinct ids to look up, in the order first asked for (the bulk lookup splits them
    /// into requests of at most 200 within the URL limit).
    pub ids: Vec<AccountId>,
}

/// Groups `calls` (each an account id and its expand key, see
/// [`expand_key`](crate::cache::expand_key)) by expand key, in the order each key first
/// appears.
pub fn batches(calls: &[(&str, &str)]) -> Vec<Batch> {
    let mut keys: Vec<&str> = Vec::new();
    let mut out: Vec<Batch> = Vec::new();
    let mut seen: Vec<IdSet<&str>> = Vec::new();
    for (i, (id, key)) in calls.iter().enumerate() {
        let at = match keys.iter().position(|k| k == key) {
            Some(at) => at,
            None => {
                keys.push(key);
                out.push(Batch {
                    callers: Vec::new(),
                    ids: Vec::new(),
                });
                seen.push(Default::default());
                keys.len() - 1
            }
        };
        out[at].callers.push(i);
        if seen[at].insert(id) {
            out[at].ids.push(AccountId::from(*id));
        }
    }
    out
}

/// The error a caller gets for an id the bulk answer left out: the 404 with the message
/// Confluence's `/user` gives for an unknown account id (its only attempt is the bulk one).
pub fn not_found(account_id: &str) -> Error {
    Error::Http {
        status: 404,
        message: Some(format!("No user found with accountId: {account_id}")),
        body: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::expand_key;

    #[test]
    fn expands_with_a_bulk_equivalent_are_coalesced_and_is_external_collaborator_is_not() {
        assert_eq!(bulk_expand(&[]), Some(vec![]));
        assert_eq!(
            bulk_expand(&[
                UserExpand::Operations,
                UserExpand::DetailsPersonal,
                UserExpand::DetailsBusiness,
                UserExpand::PersonalSpace
            ]),
            Some(vec![
                BulkExpand::Operations,
                BulkExpand::DetailsPersonal,
                BulkExpand::DetailsBusiness,
                BulkExpand::PersonalSpace
            ])
        );
        assert_eq!(
            bulk_expand(&[UserExpand::Operations, UserExpand::IsExternalCollaborator]),
            None
        );
        // Every getUser expand is either mapped or refused (a new one must be decided here).
        for name in UserExpand::NAMES {
            let e = UserExpand::from_wire(name).unwrap_or_else(|| unreachable!());
            let mapped = bulk_expand(&[e]);
            assert_eq!(
                mapped.is_none(),
                *name == "isExternalCollaborator",
                "{name}"
            );
            if let Some(m) = mapped {
                assert_eq!(m[0].as_str(), *name);
            }
        }
    }

    #[test]
    fn calls_are_grouped_by_expand_set_with_each_id_asked_once() {
        let ops = expand_key(["operations"]);
        let none = expand_key([]);
        let space_ops = expand_key(["personalSpace", "operations"]);
        let calls = [
            ("a", none.as_str()),
            ("b", ops.as_str()),
            ("a", none.as_str()),
            ("c", none.as_str()),
            ("a", ops.as_str()),
            ("b", space_ops.as_str()),
        ];
        let b = batches(&calls);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].callers, vec![0, 2, 3]);
        assert_eq!(b[0].ids, vec![AccountId::from("a"), AccountId::from("c")]);
        assert_eq!(b[1].callers, vec![1, 4]);
        assert_eq!(b[1].ids, vec![AccountId::from("b"), AccountId::from("a")]);
        assert_eq!(b[2].callers, vec![5]);
        assert_eq!(b[2].ids, vec![AccountId::from("b")]);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn an_id_with_a_comma_is_sent_alone() {
        assert!(coalescable_id("5b10ac8d82e05b22cc7d4ef5"));
        assert!(coalescable_id("557058:odd &=#+%/ é?ü"));
        assert!(!coalescable_id("a,b"));
        assert!(!coalescable_id(""));
    }

    #[test]
    fn only_calls_without_a_signal_share_and_only_bulk_able_ones_wait_for_a_window() {
        assert!(shares(Some(0), false));
        assert!(!shares(Some(0), true));
        assert!(!shares(None, false));
        let id = "5b10ac8d82e05b22cc7d4ef5";
        assert_eq!(
            window_for(Some(5), false, id, &[UserExpand::Operations]),
            Some(5)
        );
        assert_eq!(window_for(Some(5), true, id, &[]), None);
        assert_eq!(window_for(None, false, id, &[]), None);
        assert_eq!(window_for(Some(5), false, "a,b", &[]), None);
        let external = [UserExpand::IsExternalCollaborator];
        assert_eq!(window_for(Some(5), false, id, &external), None);
    }

    #[test]
    fn the_missing_id_error_has_user_s_shape() {
        let err = not_found("000000000000000000000000");
        assert_eq!(err.status(), 404);
        assert_eq!(
            err.to_string(),
            "404 Not Found: No user found with accountId: 000000000000000000000000"
        );
    }
}
