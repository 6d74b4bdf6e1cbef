//! Splitting a bulk lookup of any size into requests Confluence accepts: at most 200 ids each,
//! URLs under a length limit, every distinct id asked for once.

use std::collections::HashMap;
use std::ops::Range;

use crate::encode::percent_encoded_len;
use crate::error::Error;
use crate::models::AccountId;

/// Confluence has refused long bulk URLs with a 400; requests stay under this many bytes.
pub const MAX_BULK_URL_LEN: usize = 8000;

/// The requests a bulk lookup becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPlan {
    /// The distinct ids, in order of first appearance.
    pub unique: Vec<AccountId>,
    /// Ranges of `unique`, one per request, in order.
    pub chunks: Vec<Range<usize>>,
}

/// Plans the requests for `ids`: validates each id (non-empty, no comma: the ids travel as one
/// comma-separated parameter), drops repeats, and cuts the rest into chunks of at most
/// `max_ids` whose URL (`fixed_len` bytes plus the encoded ids and their commas) stays under
/// `max_url_len`.
pub fn plan_bulk(
    ids: &[AccountId],
    max_ids: usize,
    fixed_len: usize,
    max_url_len: usize,
) -> Result<BulkPlan, Error> {
    if ids.is_empty() {
        return Err(Error::invalid("accountIds must not be empty"));
    }
    let mut seen: HashMap<&str, ()> = HashMap::with_capacity(ids.len());
    let mut unique = Vec::with_capacity(ids.len());
    // Where each distinct id stands in the caller's list, for messages.
    let mut positions = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let s = id.as_str();
        if s.is_empty() {
            return Err(Error::invalid(format!("accountIds[{i}] must not be empty")));
        }
        if s.contains(',') {
            return Err(Error::invalid(format!(
                "accountIds[{i}] contains a comma, which the comma-separated accountId parameter cannot carry"
            )));
        }
        if seen.insert(s, ()).is_none() {
            unique.push(id.clone());
            positions.push(i);
        }
    }
    // The most bytes of ids (with their commas) a URL under `max_url_len` can hold.
    let budget = max_url_len.saturating_sub(fixed_len).saturating_sub(1);
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, id) in unique.iter().enumerate() {
        let encoded_len = percent_encoded_len(id.as_str());
        let cost = encoded_len + usize::from(i > start);
        if encoded_len > budget {
            return Err(Error::invalid(format!(
                "accountIds[{}] is too long to fit in a request URL of {max_url_len} characters",
                positions[i]
            )));
        }
        if i - start == max_ids || used + cost > budget {
            chunks.push(start..i);
            start = i;
            used = encoded_len;
        } else {
            used += cost;
        }
    }
    chunks.push(start..unique.len());
    Ok(BulkPlan { unique, chunks })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize, len: usize) -> Vec<AccountId> {
        (0..n)
            .map(|i| AccountId::from(format!("{i:0len$}")))
            .collect()
    }

    #[test]
    fn chunks_hold_at_most_max_ids() {
        let plan = plan_bulk(&ids(450, 24), 200, 60, MAX_BULK_URL_LEN).unwrap();
        assert_eq!(plan.chunks, vec![0..200, 200..400, 400..450]);
        assert_eq!(plan.unique.len(), 450);
        let plan = plan_bulk(&ids(200, 24), 200, 60, MAX_BULK_URL_LEN).unwrap();
        assert_eq!(plan.chunks, vec![0..200]);
        let plan = plan_bulk(&ids(1, 24), 200, 60, MAX_BULK_URL_LEN).unwrap();
        assert_eq!(plan.chunks, vec![0..1]);
    }

    #[test]
    fn chunks_keep_urls_under_the_limit() {
        // 200 ids of 60 characters would be 12,200 bytes of query.
        let list = ids(200, 60);
        let fixed = 80;
        let plan = plan_bulk(&list, 200, fixed, MAX_BULK_URL_LEN).unwrap();
        assert!(plan.chunks.len() > 1);
        let mut covered = 0;
        for chunk in &plan.chunks {
            assert_eq!(chunk.start, covered);
            covered = chunk.end;
            let query: usize = plan.unique[chunk.clone()]
                .iter()
                .map(|id| id.as_str().len())
                .sum::<usize>()
                + chunk.len()
                - 1;
            assert!(
                fixed + query <= MAX_BULK_URL_LEN,
                "{chunk:?}: {}",
                fixed + query
            );
        }
        assert_eq!(covered, 200);
        // Encoded length counts: each "é" is 6 bytes once percent-encoded.
        let wide: Vec<AccountId> = (0..10)
            .map(|i| AccountId::from(format!("{i}{}", "é".repeat(200))))
            .collect();
        let plan = plan_bulk(&wide, 200, 0, 2500).unwrap();
        assert_eq!(plan.chunks, vec![0..2, 2..4, 4..6, 6..8, 8..10]);
    }

    #[test]
    fn a_url_of_exactly_the_limit_is_split() {
        // 10 fixed bytes + "aaaa,bbbb" = 19 bytes: under 20 fits, exactly 19 with a limit of
        // 19 does not.
        let list: Vec<AccountId> = ["aaaa", "bbbb"].into_iter().map(AccountId::from).collect();
        assert_eq!(plan_bulk(&list, 200, 10, 20).unwrap().chunks, vec![0..2]);
        assert_eq!(
            plan_bulk(&list, 200, 10, 19).unwrap().chunks,
            vec![0..1, 1..2]
        );
    }

    #[test]
    fn repeated_ids_are_asked_for_once_in_first_seen_order() {
        let list: Vec<AccountId> = ["b", "a", "b", "c", "a"]
            .into_iter()
            .map(AccountId::from)
            .collect();
        let plan = plan_bulk(&list, 200, 0, MAX_BULK_URL_LEN).unwrap();
        let unique: Vec<&str> = plan.unique.iter().map(AccountId::as_str).collect();
        assert_eq!(unique, ["b", "a", "c"]);
        assert_eq!(plan.chunks, vec![0..3]);
    }

    #[test]
    fn bad_ids_are_refused() {
        let e = |list: &[&str]| {
            let list: Vec<AccountId> = list.iter().map(|s| AccountId::from(*s)).collect();
            plan_bulk(&list, 200, 0, MAX_BULK_URL_LEN)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(e(&[]), "invalid argument: accountIds must not be empty");
        assert_eq!(
            e(&["a", ""]),
            "invalid argument: accountIds[1] must not be empty"
        );
        assert!(e(&["a", "b,c"]).contains("accountIds[1] contains a comma"));
        let huge = "x".repeat(9000);
        assert!(e(&["a", &huge]).contains("accountIds[1] is too long"));
        assert!(
            e(&["a", "a", &huge]).contains("accountIds[2] is too long"),
            "the caller's index"
        );
    }
}
