//! The opt-in user cache: users kept by account id and expand set for a time to live, the
//! least recently used evicted beyond a maximum. Pure and generic over the stored value (the
//! skin keeps JS objects), with a virtual clock (`now_ms`).

use std::collections::{HashMap, VecDeque};

use crate::UserExpand;

/// The settings of a [`UserCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long an entry is served after it was stored, in ms.
    pub ttl_ms: u64,
    /// The most entries kept; beyond it the least recently used goes.
    pub max_entries: usize,
}

/// The key of an expand set: its wire names in one fixed order (`getUser`'s expands, of which
/// `getBulkUserLookup`'s are a subset), without repeats, comma-joined. Two calls asking for
/// the same expands in another order share entries. (A fixed order rather than a sort: a sort
/// of strings costs 9 KB of wasm.)
pub fn expand_key<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut key = String::new();
    for known in UserExpand::NAMES {
        if names.contains(known) {
            if !key.is_empty() {
                key.push(',');
            }
            key.push_str(known);
        }
    }
    key
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    expires_at: u64,
    /// Its place in the use order (see `UserCache::by_use`).
    used: u64,
}

/// Users by (account id, expand key); see the module docs.
#[derive(Debug)]
pub struct UserCache<V> {
    config: CacheConfig,
    entries: HashMap<(String, String), Entry<V>>,
    /// Uses, oldest first, as (tick, key). A use that a later one of the same key superseded
    /// stays until it reaches the front and is skipped (its tick is not the entry's `used`);
    /// compacted when it holds more than twice the entries.
    by_use: VecDeque<(u64, (String, String))>,
    tick: u64,
}

impl<V> UserCache<V> {
    /// An empty cache.
    pub fn new(config: CacheConfig) -> UserCache<V> {
        UserCache {
            config,
            entries: HashMap::new(),
            by_use: VecDeque::new(),
            tick: 0,
        }
    }

    /// How many entries are held (expired ones included until they are looked up or evicted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn touch(&mut self, key: &(String, String)) {
        self.tick += 1;
        if let Some(entry) = self.entries.get_mut(key) {
            entry.used = self.tick;
            self.by_use.push_back((self.tick, key.clone()));
            self.compact();
        }
    }

    /// Drops superseded uses once they outnumber the entries.
    fn compact(&mut self) {
        if self.by_use.len() > 2 * self.entries.len() + 16 {
            let entries = &self.entries;
            self.by_use
                .retain(|(tick, key)| entries.get(key).is_some_and(|e| e.used == *tick));
        }
    }

    /// The user `account_id` with expands `expand_key`, if stored less than the TTL ago; an
    /// expired entry is dropped.
    pub fn get(&mut self, account_id: &str, expand_key: &str, now_ms: u64) -> Option<&V> {
        let key = (account_id.to_owned(), expand_key.to_owned());
        let expired = self.entries.get(&key)?.expires_at <= now_ms;
        if expired {
            self.remove(&key);
            return None;
        }
        self.touch(&key);
        self.entries.get(&key).map(|e| &e.value)
    }

    /// Stores a user (replacing what was stored under the same key), then evicts the least
    /// recently used beyond `max_entries`. With `max_entries` 0 or `ttl_ms` 0 nothing is kept.
    pub fn put(&mut self, account_id: String, expand_key: String, value: V, now_ms: u64) {
        if self.config.max_entries == 0 || self.config.ttl_ms == 0 {
            return;
        }
        let key = (account_id, expand_key);
        self.remove(&key);
        self.tick += 1;
        self.by_use.push_back((self.tick, key.clone()));
        self.entries.insert(
            key,
            Entry {
                value,
                expires_at: now_ms.saturating_add(self.config.ttl_ms),
                used: self.tick,
            },
        );
        while self.entries.len() > self.config.max_entries {
            let Some((tick, oldest)) = self.by_use.pop_front() else {
                break;
            };
            if self.entries.get(&oldest).is_some_and(|e| e.used == tick) {
                self.entries.remove(&oldest);
            }
        }
        self.compact();
    }

    /// Its use stays in `by_use` until skipped or compacted away.
    fn remove(&mut self, key: &(String, String)) {
        self.entries.remove(key);
    }

    /// Drops every entry of `account_id` (all expand sets); returns how many there were.
    pub fn delete(&mut self, account_id: &str) -> usize {
        let keys: Vec<(String, String)> = self
            .entries
            .keys()
            .filter(|(id, _)| id == account_id)
            .cloned()
            .collect();
        for key in &keys {
            self.remove(key);
        }
        keys.len()
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.by_use.clear();
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn cache(ttl_ms: u64, max_entries: usize) -> UserCache<u32> {
        UserCache::new(CacheConfig {
            ttl_ms,
            max_entries,
        })
    }

    #[test]
    fn entries_live_for_the_ttl_by_id_and_expand_set() {
        let mut c = cache(1000, 10);
        c.put("a".into(), expand_key(["operations"]), 1, T0);
        c.put("a".into(), expand_key([]), 2, T0);
        assert_eq!(c.get("a", "operations", T0 + 999), Some(&1));
        assert_eq!(c.get("a", "", T0 + 999), Some(&2));
        assert_eq!(c.get("a", "personalSpace", T0), None);
        assert_eq!(c.get("b", "", T0), None);
        assert_eq!(c.get("a", "operations", T0 + 1000), None);
        assert_eq!(c.len(), 1, "the expired entry was dropped");
        // Storing again starts a new TTL.
        c.put("a".into(), "".into(), 3, T0 + 900);
        assert_eq!(c.get("a", "", T0 + 1899), Some(&3));
    }

    #[test]
    fn the_expand_key_ignores_order_and_repeats() {
        assert_eq!(
            expand_key(["personalSpace", "operations", "operations"]),
            "operations,personalSpace"
        );
        assert_eq!(expand_key([]), "");
        assert_eq!(
            expand_key([
                "isExternalCollaborator",
                "details.business",
                "details.personal"
            ]),
            "details.personal,details.business,isExternalCollaborator"
        );
    }

    #[test]
    fn beyond_max_entries_the_least_recently_used_goes() {
        let mut c = cache(10_000, 3);
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            c.put(id.into(), "".into(), i as u32, T0);
        }
        // Reading `a` makes `b` the least recently used.
        assert_eq!(c.get("a", "", T0), Some(&0));
        c.put("d".into(), "".into(), 3, T0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("b", "", T0), None);
        for id in ["a", "c", "d"] {
            assert!(c.get(id, "", T0).is_some(), "{id}");
        }
        // Replacing an entry does not count twice.
        c.put("d".into(), "".into(), 4, T0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("d", "", T0), Some(&4));
    }

    #[test]
    fn delete_drops_every_expand_set_of_an_id_and_clear_drops_all() {
        let mut c = cache(10_000, 10);
        c.put("a".into(), "".into(), 1, T0);
        c.put("a".into(), "operations".into(), 2, T0);
        c.put("b".into(), "".into(), 3, T0);
        assert_eq!(c.delete("a"), 2);
        assert_eq!(c.delete("a"), 0);
        assert_eq!(c.get("a", "operations", T0), None);
        assert_eq!(c.get("b", "", T0), Some(&3));
        c.clear();
        assert!(c.is_empty());
        // The use order was emptied too: filling again evicts correctly.
        let mut c = cache(10_000, 1);
        c.put("x".into(), "".into(), 1, T0);
        c.clear();
        c.put("y".into(), "".into(), 2, T0);
        c.put("z".into(), "".into(), 3, T0);
        assert_eq!((c.len(), c.get("z", "", T0)), (1, Some(&3)));
    }

    #[test]
    fn many_reads_of_few_entries_keep_the_use_list_bounded_and_the_order_right() {
        let mut c = cache(10_000, 2);
        c.put("a".into(), "".into(), 1, T0);
        c.put("b".into(), "".into(), 2, T0);
        for _ in 0..1000 {
            assert_eq!(c.get("a", "", T0), Some(&1));
        }
        assert!(c.by_use.len() <= 2 * c.len() + 17, "{}", c.by_use.len());
        c.put("c".into(), "".into(), 3, T0);
        assert_eq!(c.get("b", "", T0), None, "b was the least recently used");
        assert_eq!(c.get("a", "", T0), Some(&1));
        // A deleted entry's stale use does not evict a live one.
        c.delete("a");
        c.put("d".into(), "".into(), 4, T0);
        c.put("e".into(), "".into(), 5, T0);
        assert_eq!(c.get("d", "", T0), Some(&4));
        assert_eq!(c.get("e", "", T0), Some(&5));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_zero_ttl_or_size_keeps_nothing() {
        let mut c = cache(0, 10);
        c.put("a".into(), "".into(), 1, T0);
        assert!(c.is_empty());
        let mut c = cache(1000, 0);
        c.put("a".into(), "".into(), 1, T0);
        assert!(c.is_empty());
        // A huge TTL saturates.
        let mut c = cache(u64::MAX, 1);
        c.put("a".into(), "".into(), 1, T0);
        assert_eq!(c.get("a", "", u64::MAX - 1), Some(&1));
    }
}
