//! Splitting a bulk lookup or a migration lookup of any size into requests Confluence accepts:
//! at most 200 values each, URLs under a length limit, every distinct value asked for once.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::encode::percent_encoded_len;
use crate::endpoints::{Endpoint, GetBulkUserMigrationParams};
use crate::error::Error;
use crate::models::AccountId;

/// A map whose keys are a caller's ids or values, hashed by [`IdHasher`].
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A set of a caller's ids or values, hashed by [`IdHasher`].
pub(crate) type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// FxHash (rustc's hasher, as the `rustc-hash` crate has it): a rotate, a xor and a multiply per
/// eight bytes. The keys it hashes are the caller's own ids and values, so SipHash's defence
/// against chosen collisions buys nothing here; in wasm it was ~6 % of a 200-id bulk call.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let mut w = [0; 8];
        let rest = words.remainder();
        w[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(w) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the high bits mixed best; hashbrown takes a bucket from the low ones.
        self.0.rotate_left(26)
    }
}

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
    let mut seen: IdMap<&str, ()> = IdMap::with_capacity_and_hasher(ids.len(), Default::default());
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
    let lens: Vec<usize> = unique
        .iter()
        .map(|id| percent_encoded_len(id.as_str()))
        .collect();
    // A comma before every id but a chunk's first.
    let chunks = cut(&lens, max_ids, budget, 1, 0).map_err(|i| {
        Error::invalid(format!(
            "accountIds[{}] is too long to fit in a request URL of {max_url_len} characters",
            positions[i]
        ))
    })?;
    Ok(BulkPlan { unique, chunks })
}

/// Cuts items of encoded length `lens` into consecutive ranges of at most `max_items` whose
/// cost stays within `budget`. An item costs its length plus `sep` (when it follows another in
/// its range) or `lead` (when it opens one). `Err(i)`: item `i` alone is over the budget.
fn cut(
    lens: &[usize],
    max_items: usize,
    budget: usize,
    sep: usize,
    lead: usize,
) -> Result<Vec<Range<usize>>, usize> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, &len) in lens.iter().enumerate() {
        if len + lead > budget {
            return Err(i);
        }
        let cost = len + if i > start { sep } else { lead };
        if i - start == max_items || used + cost > budget {
            chunks.push(start..i);
            start = i;
            used = len + lead;
        } else {
            used += cost;
        }
    }
    if start < lens.len() {
        chunks.push(start..lens.len());
    }
    Ok(chunks)
}

/// Confluence's page cap on `/user/bulk/migration`: a chunk of this many values is answered in
/// one page at the default page size.
pub(crate) const MIGRATION_CHUNK_MAX: usize = 200;

/// Room kept in every migration URL for the paging parameters a later page adds:
/// `&start=` and `&limit=` with up to 10 digits each.
const PAGING_RESERVE: usize = 2 * "&start=2147483647".len();

/// The requests a migration lookup (`getBulkUserMigration`) becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MigrationPlan {
    /// `"key"` or `"username"`: the query parameter, and the field of each result that echoes
    /// the value looked up.
    pub field: &'static str,
    /// The distinct values to ask for, in order of first appearance, from the call's `start`
    /// and at most its `limit` of them (`paged` false).
    pub unique: Vec<String>,
    /// Ranges of `unique`, one chunk each, in order; each chunk's pages are followed.
    pub chunks: Vec<Range<usize>>,
    /// The page size each request asks for (only an iterator sends one).
    pub page_limit: Option<i32>,
}

impl MigrationPlan {
    /// The params of chunk `index`'s first page.
    pub fn chunk_params(&self, index: usize) -> Option<GetBulkUserMigrationParams> {
        let range = self.chunks.get(index)?.clone();
        Some(GetBulkUserMigrationParams::for_values(
            self.field,
            self.unique[range].to_vec(),
            self.page_limit,
        ))
    }

    /// `"keys"` or `"usernames"`, for messages.
    pub fn noun(&self) -> &'static str {
        if self.field == "key" {
            "keys"
        } else {
            "usernames"
        }
    }
}

/// Plans a migration lookup: validates `params`, drops repeated values, keeps the window the
/// caller asked for, and cuts it into chunks of at most [`MIGRATION_CHUNK_MAX`] values whose
/// URL (`fixed_len` bytes, then `?name=value&name=value...`, then room for `start` and
/// `limit`) stays under `max_url_len`.
///
/// With `paged` false (`getBulkUserMigration`), `start` and `limit` select the values
/// `start..start + limit` of the distinct ones; Confluence answers each value once, in request
/// order, so that is the page Confluence itself would return, and no request carries them.
/// With `paged` true (an iterator), the window runs from `start` to the end and `limit` is
/// the page size each request asks for (0 means no results).
pub(crate) fn plan_migration(
    params: &GetBulkUserMigrationParams,
    paged: bool,
    fixed_len: usize,
    max_url_len: usize,
) -> Result<MigrationPlan, Error> {
    params.validate()?;
    let (field, values) = params.lookup()?;
    let noun = if field == "key" { "keys" } else { "usernames" };
    let mut seen: IdMap<&str, ()> =
        IdMap::with_capacity_and_hasher(values.len(), Default::default());
    let mut unique = Vec::with_capacity(values.len());
    let mut positions = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        if seen.insert(value.as_str(), ()).is_none() {
            unique.push(value.clone());
            positions.push(i);
        }
    }
    let start = params.start.map_or(0, |s| usize::try_from(s).unwrap_or(0));
    let limit = params.limit.map(|l| usize::try_from(l).unwrap_or(0));
    let end = match (paged, limit) {
        (true, Some(0)) => start,
        (false, Some(limit)) => start.saturating_add(limit),
        _ => usize::MAX,
    };
    let window = start.min(unique.len())..end.min(unique.len());
    let positions = &positions[window.clone()];
    let unique: Vec<String> = unique.drain(window).collect();
    let budget = max_url_len
        .saturating_sub(fixed_len)
        .saturating_sub(PAGING_RESERVE)
        .saturating_sub(1);
    // Every value is its own `?name=` or `&name=` parameter.
    let per_value = 1 + field.len() + 1;
    let lens: Vec<usize> = unique.iter().map(|v| percent_encoded_len(v)).collect();
    let chunks = cut(&lens, MIGRATION_CHUNK_MAX, budget, per_value, per_value).map_err(|i| {
        Error::invalid(format!(
            "{noun}[{}] is too long to fit in a request URL of {max_url_len} characters",
            positions[i]
        ))
    })?;
    Ok(MigrationPlan {
        field,
        unique,
        chunks,
        page_limit: if paged { params.limit } else { None },
    })
}

/// A username or key lowercased by Unicode's full default mapping (usernames may be non-ASCII),
/// for matching an answer whose case Confluence changed. The wasm build asks JS's
/// `String.prototype.toLowerCase` (the same mapping), so core's Unicode case tables stay out of
/// the download (js-tests/bench/SIZE.md); natively it is `str::to_lowercase`.
fn fold_case(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return crate::wasm::lowercase(s);
    #[cfg(not(target_arch = "wasm32"))]
    return s.to_lowercase();
}

/// Which values of a migration lookup Confluence has answered, and with an account id or not:
/// the merge that reports every value exactly once.
///
/// Confluence answers each value once, in request order, echoing it in the `key` or `username`
/// field. An answer is matched to the value it echoes exactly, or else to one equal ignoring
/// case (a server may normalise the case of usernames); an answer that matches no value asked
/// is kept but counts for none.
#[derive(Debug, Clone)]
pub(crate) struct MigrationTally {
    /// For each planned value: `None` while unanswered, else whether it has an account id.
    answered: Vec<Option<bool>>,
    exact: HashMap<String, usize>,
    folded: HashMap<String, Vec<usize>>,
}

impl MigrationTally {
    /// A tally of `plan`'s values, none answered yet.
    pub fn new(plan: &MigrationPlan) -> Self {
        let mut folded: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, v) in plan.unique.iter().enumerate() {
            folded.entry(fold_case(v)).or_default().push(i);
        }
        MigrationTally {
            answered: vec![None; plan.unique.len()],
            exact: plan
                .unique
                .iter()
                .enumerate()
                .map(|(i, v)| (v.clone(), i))
                .collect(),
            folded,
        }
    }

    /// Records one result: `echoed` is its `key` or `username` field, `has_account_id` whether
    /// it carries a non-empty account id. Returns the index of the value it answers.
    pub fn answer(&mut self, echoed: Option<&str>, has_account_id: bool) -> Option<usize> {
        let echoed = echoed?;
        let open = |i: &usize| self.answered[*i].is_none();
        let at = self.exact.get(echoed).copied().filter(open).or_else(|| {
            self.folded
                .get(&fold_case(echoed))
                .and_then(|list| list.iter().copied().find(open))
        })?;
        self.answered[at] = Some(has_account_id);
        Some(at)
    }

    /// The indexes in `range` that no result answered, in order.
    pub fn unanswered(&self, range: Range<usize>) -> Vec<usize> {
        range
            .filter(|&i| self.answered.get(i).is_some_and(Option::is_none))
            .collect()
    }

    /// The indexes of the values that have no account id (unanswered, or answered without
    /// one), in order.
    pub fn not_found(&self) -> Vec<usize> {
        (0..self.answered.len())
            .filter(|&i| self.answered[i] != Some(true))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::PagedEndpoint;

    fn ids(n: usize, len: usize) -> Vec<AccountId> {
        (0..n)
            .map(|i| AccountId::from(format!("{i:0len$}")))
            .collect()
    }

    #[test]
    fn the_id_hasher_tells_ids_apart() {
        let hash = |s: &str| {
            let mut h = IdHasher::default();
            std::hash::Hash::hash(s, &mut h);
            h.finish()
        };
        // Every byte counts, the last partial word and the length included.
        assert_ne!(hash("ab"), hash("ab\0"));
        assert_ne!(hash("abcdefgh"), hash("abcdefgh\0"));
        assert_ne!(hash("abcdefghi"), hash("abcdefghj"));
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000u32 {
            assert!(seen.insert(hash(&format!("{i:024x}"))), "{i:024x}");
            assert!(seen.insert(hash(&format!("557058:{i:08x}-2d1e-4c9b-9c1a"))));
        }
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

    fn migration(
        usernames: &[&str],
        start: Option<i32>,
        limit: Option<i32>,
    ) -> GetBulkUserMigrationParams {
        GetBulkUserMigrationParams {
            usernames: Some(usernames.iter().map(|s| (*s).to_owned()).collect()),
            start,
            limit,
            ..Default::default()
        }
    }

    /// The URL a chunk's first page would have, with the paging parameters a later page adds.
    fn chunk_url_len(plan: &MigrationPlan, index: usize, fixed: usize) -> usize {
        let mut p = plan.chunk_params(index).unwrap().with_start(i32::MAX);
        p.limit = Some(i32::MAX);
        fixed + p.path_and_query().unwrap().len() - "/user/bulk/migration".len()
    }

    #[test]
    fn migration_chunks_keep_urls_under_the_limit_and_values_in_order() {
        // 5,000 usernames, some long, some non-ASCII (each "ü" is 6 bytes encoded), repeated.
        let names: Vec<String> = (0..5000)
            .map(|i| match i % 4 {
                0 => format!("user{i}"),
                1 => format!("jürgen.müller.{i}"),
                2 => format!("{}{i}", "long".repeat(60)),
                _ => format!("name with space & sign {i}"),
            })
            .collect();
        let mut list: Vec<&str> = names.iter().map(String::as_str).collect();
        list.extend(["user0", "jürgen.müller.1"]);
        let fixed = "https://your-domain.atlassian.net/wiki/rest/api/user/bulk/migration".len();
        let plan = plan_migration(
            &migration(&list, None, None),
            false,
            fixed,
            MAX_BULK_URL_LEN,
        )
        .unwrap();
        assert_eq!(plan.field, "username");
        assert_eq!(
            plan.unique, names,
            "each distinct value once, in input order"
        );
        let mut covered = 0;
        for (i, chunk) in plan.chunks.iter().enumerate() {
            assert_eq!(chunk.start, covered);
            covered = chunk.end;
            assert!(chunk.len() <= MIGRATION_CHUNK_MAX);
            let len = chunk_url_len(&plan, i, fixed);
            assert!(len < MAX_BULK_URL_LEN, "chunk {i}: {len}");
            // Full: the next value would not have fitted (or the chunk is at the cap).
            if let Some(next) = plan.unique.get(chunk.end) {
                let more = len + "&username=".len() + percent_encoded_len(next);
                assert!(more >= MAX_BULK_URL_LEN || chunk.len() == MIGRATION_CHUNK_MAX);
            }
        }
        assert_eq!(covered, 5000);
        assert!(
            plan.chunks.len() > 5000 / MIGRATION_CHUNK_MAX,
            "{}",
            plan.chunks.len()
        );
        assert_eq!(plan.page_limit, None);
        assert_eq!(plan.chunk_params(0).unwrap().start, None);
        assert_eq!(plan.chunk_params(plan.chunks.len()), None);
    }

    #[test]
    fn migration_short_values_fill_chunks_of_two_hundred() {
        let names: Vec<String> = (0..450).map(|i| format!("u{i}")).collect();
        let list: Vec<&str> = names.iter().map(String::as_str).collect();
        let plan =
            plan_migration(&migration(&list, None, None), false, 60, MAX_BULK_URL_LEN).unwrap();
        assert_eq!(plan.chunks, vec![0..200, 200..400, 400..450]);
        let keys = GetBulkUserMigrationParams {
            keys: Some(vec!["k1".into(), "k2".into()]),
            ..Default::default()
        };
        let plan = plan_migration(&keys, true, 60, MAX_BULK_URL_LEN).unwrap();
        assert_eq!((plan.field, plan.noun()), ("key", "keys"));
        assert_eq!(
            plan.chunk_params(0).unwrap().keys,
            Some(vec!["k1".into(), "k2".into()])
        );
    }

    #[test]
    fn migration_start_and_limit_select_a_window_of_the_distinct_values() {
        let list = ["a", "b", "a", "c", "d", "e"];
        let window = |start, limit, paged| {
            plan_migration(&migration(&list, start, limit), paged, 0, MAX_BULK_URL_LEN).unwrap()
        };
        assert_eq!(window(Some(1), Some(2), false).unique, ["b", "c"]);
        assert_eq!(window(Some(1), None, false).unique, ["b", "c", "d", "e"]);
        assert_eq!(window(Some(9), Some(2), false).unique, Vec::<String>::new());
        assert_eq!(window(Some(9), Some(2), false).chunks, vec![]);
        assert_eq!(window(None, Some(0), false).unique, Vec::<String>::new());
        // An iterator: from start to the end, `limit` is each request's page size.
        let paged = window(Some(2), Some(2), true);
        assert_eq!(paged.unique, ["c", "d", "e"]);
        assert_eq!(paged.page_limit, Some(2));
        assert_eq!(paged.chunk_params(0).unwrap().limit, Some(2));
        assert!(window(None, Some(0), true).unique.is_empty());
        assert_eq!(
            window(None, Some(3), false).chunk_params(0).unwrap().limit,
            None
        );
    }

    #[test]
    fn migration_refusals_name_the_value() {
        let e = |p: GetBulkUserMigrationParams| {
            plan_migration(&p, false, 0, MAX_BULK_URL_LEN)
                .unwrap_err()
                .to_string()
        };
        let huge = "é".repeat(1500);
        assert_eq!(
            e(migration(&["a", "a", &huge], None, None)),
            "invalid argument: usernames[2] is too long to fit in a request URL of 8000 characters"
        );
        assert_eq!(
            e(GetBulkUserMigrationParams::default()),
            "invalid argument: give one of keys or usernames"
        );
        assert_eq!(
            e(migration(&["a"], Some(-1), None)),
            "invalid argument: start must be at least 0 (got -1)"
        );
        assert_eq!(
            e(migration(&["a", ""], None, None)),
            "invalid argument: usernames[1] must not be empty"
        );
    }

    /// Unicode folding in both builds: `str::to_lowercase` natively, JS's `toLowerCase` in the wasm
    /// build (run there by `cargo test --target wasm32-unknown-unknown --lib`).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn non_ascii_usernames_match_ignoring_case() {
        // A final sigma, a dotted capital I (two code points lowercased), and a Latin-1 letter.
        assert_eq!(fold_case("ΟΔΥΣΣΕΑΣ"), "οδυσσεας");
        assert_eq!(fold_case("İnci"), "i\u{307}nci");
        assert_eq!(fold_case("ÉMILE"), "émile");
        let list = ["ÉMILE", "ΟΔΥΣΣΕΑΣ", "İnci", "Ørjan"];
        let plan =
            plan_migration(&migration(&list, None, None), false, 0, MAX_BULK_URL_LEN).unwrap();
        let mut tally = MigrationTally::new(&plan);
        assert_eq!(tally.answer(Some("ørjan"), true), Some(3));
        assert_eq!(tally.answer(Some("οδυσσεας"), true), Some(1));
        assert_eq!(tally.answer(Some("émile"), false), Some(0));
        assert_eq!(tally.answer(Some("inci"), true), None, "not İnci's fold");
        assert_eq!(tally.unanswered(0..4), [2]);
    }

    #[test]
    fn the_tally_reports_each_value_once_by_name() {
        let list = ["Mia", "mia", "ghost", "odd+1 é", "alana"];
        let plan =
            plan_migration(&migration(&list, None, None), false, 0, MAX_BULK_URL_LEN).unwrap();
        let mut tally = MigrationTally::new(&plan);
        assert_eq!(
            tally.answer(Some("mia"), true),
            Some(1),
            "exact match first"
        );
        // A server that lowercases "Mia": the answer goes to the value still open.
        assert_eq!(tally.answer(Some("mia"), true), Some(0));
        assert_eq!(tally.answer(Some("ghost"), false), Some(2));
        assert_eq!(
            tally.answer(Some("stranger"), true),
            None,
            "asked for by nobody"
        );
        assert_eq!(tally.answer(None, true), None);
        assert_eq!(tally.answer(Some("ghost"), true), None, "already answered");
        assert_eq!(tally.unanswered(0..5), [3, 4]);
        assert_eq!(tally.unanswered(0..2), Vec::<usize>::new());
        assert_eq!(tally.answer(Some("ODD+1 É"), true), Some(3));
        assert_eq!(
            tally.not_found(),
            [2, 4],
            "null account id, and never answered"
        );
    }
}
