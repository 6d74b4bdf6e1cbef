//! Redaction: every form of a credential removed from text bound for an error or a hook.
//!
//! Servers, proxies and transports echo what they were sent, and not always verbatim: a
//! credential comes back cut to a message's length, split by a line break, percent-encoded
//! (either hex case), as HTML entities (named, decimal, hex), JSON- or Rust-escaped, wrapped in
//! tags, or base64-encoded with what surrounded it. A [`Redactor`] therefore does not search
//! for the credential's bytes alone. It reads the text as a stream of units with whitespace
//! left out, once as written and twice decoded (so a double-encoded `%2541` is read as `A`),
//! and replaces every stretch of the text where 8 consecutive units (see [`MIN_FRAGMENT`]) are
//! 8 consecutive bytes of a credential, read the same ways, with [`REDACTED`]. Any fragment of
//! 8 or more characters is caught that way, wherever a message was cut. A credential shorter
//! than that is matched whole. Text that matches nothing is returned as it was.
//!
//! It runs on error paths and in hook arguments only: the cost is a few passes over the text,
//! with one binary search in a sorted table for each 8-byte window.

use crate::encode::base64;

/// What a removed credential is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The shortest fragment of a credential that gives it away: 8 characters of a random token
/// are 40 to 48 bits of it, and shorter runs would match ordinary words.
pub const MIN_FRAGMENT: usize = 8;

/// How many of a token function's earlier tokens a client keeps redacting from later calls'
/// errors (a server or proxy may echo a token it saw before): a bound, so a function that
/// returns a new token per request does not grow the list forever. Both front ends use it.
#[cfg(any(target_arch = "wasm32", feature = "client", test))]
pub(crate) const RECENT_TOKENS: usize = 8;

/// A client's last [`RECENT_TOKENS`] distinct tokens from its token function, oldest first.
#[cfg(any(target_arch = "wasm32", feature = "client", test))]
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct RecentTokens(Vec<String>);

#[cfg(any(target_arch = "wasm32", feature = "client", test))]
impl RecentTokens {
    /// Keeps `token` (once), dropping the oldest when [`RECENT_TOKENS`] are kept already.
    pub(crate) fn remember(&mut self, token: &str) {
        if self.0.iter().any(|t| t == token) {
            return;
        }
        if self.0.len() == RECENT_TOKENS {
            self.0.remove(0);
        }
        self.0.push(token.to_owned());
    }

    /// The tokens kept, oldest first.
    pub(crate) fn tokens(&self) -> &[String] {
        &self.0
    }
}

/// What one call must keep out of everything it shows, beyond the client's own credentials:
/// every token the token function gave during the call (a server may echo an earlier
/// attempt's) and the client's recent ones. Kept as strings: the search table is built only
/// when an error or a hook needs it, so a call that succeeds without hooks never pays for it.
#[cfg(any(target_arch = "wasm32", feature = "client", test))]
#[derive(Debug, Default)]
pub(crate) struct CallTokens {
    tokens: Vec<String>,
    /// The search table of `tokens`, built on first use (cleared when a token is added).
    table: std::cell::OnceCell<Redactor>,
}

#[cfg(any(target_arch = "wasm32", feature = "client", test))]
impl CallTokens {
    /// A call's tokens, starting with the client's recent ones.
    pub(crate) fn new(recent: &RecentTokens) -> CallTokens {
        CallTokens {
            tokens: recent.tokens().to_vec(),
            table: std::cell::OnceCell::new(),
        }
    }

    /// Adds a token the call was given.
    pub(crate) fn add(&mut self, token: &str) {
        if !self.tokens.iter().any(|t| t == token) {
            self.tokens.push(token.to_owned());
            self.table = std::cell::OnceCell::new();
        }
    }

    /// `text` without any credential of `config` or any of these tokens, in any form.
    pub(crate) fn redact(&self, config: Option<&crate::ClientConfig>, text: &str) -> String {
        let once = match config {
            Some(config) => config.redact(text),
            None => text.to_owned(),
        };
        if self.tokens.is_empty() {
            return once;
        }
        let table = self.table.get_or_init(|| {
            let mut table = Redactor::default();
            for token in &self.tokens {
                table.add_credential(token);
            }
            table
        });
        table.redact(&once)
    }
}

/// The credentials to remove, prepared for searching. Build one with [`Redactor::add`] or
/// [`Redactor::add_credential`] for each secret, then call [`Redactor::redact`].
///
/// ```
/// use confluence_users::Redactor;
/// let mut r = Redactor::default();
/// r.add_credential("SECRET-TOKEN-ABC123");
/// assert_eq!(r.redact("token=SECRET-TO\nKEN-ABC123"), "token=[REDACTED]");
/// assert_eq!(r.redact("echo: SECRET%2dTOKEN"), "echo: [REDACTED]");
/// assert_eq!(r.redact("nothing to hide"), "nothing to hide");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Every window of [`MIN_FRAGMENT`] bytes of every secret, read every way, big-endian in a
    /// `u64`; sorted, without duplicates.
    grams: Vec<u64>,
    /// A one-hash Bloom filter of `grams` ([`FILTER_WORDS`] words, empty until a window is
    /// added): nearly every window of a text is ruled out by one multiply and one load
    /// before the binary search.
    filter: Vec<u64>,
    /// Secrets shorter than [`MIN_FRAGMENT`] (with whitespace left out), matched whole.
    short: Vec<Vec<u8>>,
    /// Secrets of whitespace alone, which the streams cannot see: replaced where found as
    /// they are.
    blank: Vec<String>,
}

// Hand-written so that `{:?}` never prints what the redactor hides.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("windows", &self.grams.len())
            .field("short", &self.short.len())
            .field("blank", &self.blank.len())
            .finish()
    }
}

/// The size of [`Redactor`]'s filter: 65,536 bits, 8 KB, a few percent of false positives
/// for the ~2,000 windows of a long API token read every way.
const FILTER_WORDS: usize = 1024;

/// The filter bit of a window.
/// Sorts `v` ascending, in place. A heapsort rather than `sort_unstable`: core's quicksort,
/// monomorphised for the grams and for the spans, was ~10.8 KB of the wasm (js-tests/bench/SIZE.md),
/// and these lists are short (a few hundred grams per credential, the spans of one message).
fn heapsort<T: Ord + Copy>(v: &mut [T]) {
    fn sift<T: Ord + Copy>(v: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    for i in (0..v.len() / 2).rev() {
        sift(v, i, v.len());
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

fn filter_bit(key: u64) -> (usize, u64) {
    let h = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize;
    (h / 64, 1 << (h % 64))
}

/// One unit of a normalized text: a byte and the span of the original text it stands for.
#[derive(Clone, Copy)]
struct Unit {
    byte: u8,
    start: usize,
    end: usize,
}

impl Redactor {
    /// Whether no secret was added (then [`Redactor::redact`] returns its input).
    pub fn is_empty(&self) -> bool {
        self.grams.is_empty() && self.short.is_empty() && self.blank.is_empty()
    }

    /// Adds `secret`: its every fragment of [`MIN_FRAGMENT`] characters or more, in every form
    /// the module docs list, is removed. An empty secret is ignored.
    pub fn add(&mut self, secret: &str) {
        self.push(secret);
        self.finish();
    }

    /// [`Redactor::add`] but for sorting the table, which [`Redactor::finish`] does once.
    fn push(&mut self, secret: &str) {
        let raw = units(secret);
        if raw.is_empty() {
            if !secret.is_empty() && !self.blank.iter().any(|b| b == secret) {
                self.blank.push(secret.to_owned());
            }
            return;
        }
        let once = decode(&raw);
        let twice = once.as_deref().and_then(decode);
        for stream in [Some(&raw), once.as_ref(), twice.as_ref()]
            .into_iter()
            .flatten()
        {
            if stream.len() < MIN_FRAGMENT {
                continue;
            }
            let mut key = 0u64;
            for (i, unit) in stream.iter().enumerate() {
                key = (key << 8) | u64::from(unit.byte);
                if i + 1 >= MIN_FRAGMENT {
                    self.grams.push(key);
                    self.filter.resize(FILTER_WORDS, 0);
                    let (word, bit) = filter_bit(key);
                    self.filter[word] |= bit;
                }
            }
        }
        if raw.len() < MIN_FRAGMENT {
            let bytes: Vec<u8> = raw.iter().map(|u| u.byte).collect();
            if !self.short.contains(&bytes) {
                self.short.push(bytes);
            }
        }
    }

    fn finish(&mut self) {
        heapsort(&mut self.grams);
        self.grams.dedup();
    }

    /// Adds a credential: [`Redactor::add`] of `secret` and of its base64 as it appears inside
    /// any longer base64 text (at each of the three byte alignments, standard and URL-safe
    /// alphabets), so `base64("email:" + secret)` and the like are caught too.
    pub fn add_credential(&mut self, secret: &str) {
        self.push(secret);
        if secret.is_empty() {
            return;
        }
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = base64(&bytes);
            let padded = bytes.len() % 3 != 0;
            // The characters that also encode the zero bytes in front, or whatever follows
            // the secret (the padded last group), are not the secret's own: left out.
            let from = if shift > 0 { 4 } else { 0 };
            let to = if padded && shift > 0 {
                encoded.len().saturating_sub(4)
            } else {
                encoded.len()
            };
            let Some(own) = encoded.get(from..to).filter(|s| s.len() >= MIN_FRAGMENT) else {
                continue;
            };
            self.push(own);
            if own.contains(['+', '/']) {
                self.push(&own.replace('+', "-").replace('/', "_"));
            }
        }
        self.finish();
    }

    /// `text` with every stretch that holds a secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        if self.is_empty() || text.is_empty() {
            return text.to_owned();
        }
        if self.blank.iter().any(|b| text.contains(b.as_str())) {
            let mut text = text.to_owned();
            for blank in &self.blank {
                text = text.replace(blank.as_str(), REDACTED);
            }
            return self.redact_streams(&text);
        }
        self.redact_streams(text)
    }

    /// [`Redactor::redact`] of everything but the blank secrets.
    fn redact_streams(&self, text: &str) -> String {
        let raw = units(text);
        let once = decode(&raw);
        let twice = once.as_deref().and_then(decode);
        let mut spans = Vec::new();
        for stream in [Some(&raw), once.as_ref(), twice.as_ref()]
            .into_iter()
            .flatten()
        {
            self.find(text, stream, &mut spans);
        }
        if spans.is_empty() {
            return text.to_owned();
        }
        heapsort(&mut spans);
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(next_start, next_end)) = spans.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                spans.next();
            }
            // Spans from an earlier overlapping one already ended past `start`.
            let start = start.max(done);
            if end <= start {
                continue;
            }
            out.push_str(text.get(done..start).unwrap_or_default());
            out.push_str(REDACTED);
            done = end;
        }
        out.push_str(text.get(done..).unwrap_or_default());
        out
    }

    /// Pushes the spans of `text` that `stream` (read from it) matches a secret at.
    fn find(&self, text: &str, stream: &[Unit], spans: &mut Vec<(usize, usize)>) {
        // The run of matched units so far: windows that overlap or touch extend it.
        let mut run: Option<(usize, usize)> = None;
        // A run becomes one span, bridging whitespace, but not markup a match reads through
        // (`SECRET<br>TOKEN`, or a title's echo followed by the body's): the parts between
        // tags are replaced each, and the tags stay, so the message can still be read.
        let flush = |(from, to): (usize, usize), spans: &mut Vec<(usize, usize)>| {
            let mut start = stream[from].start;
            for k in from + 1..to {
                let (gap_start, gap_end) = (stream[k - 1].end, stream[k].start);
                let gap = text.get(gap_start..gap_end).unwrap_or_default();
                if gap_end > gap_start && !gap.chars().all(char::is_whitespace) {
                    spans.push((start, gap_start));
                    start = gap_end;
                }
            }
            spans.push((start, stream[to - 1].end));
        };
        if !self.grams.is_empty() {
            let mut key = 0u64;
            for (i, unit) in stream.iter().enumerate() {
                key = (key << 8) | u64::from(unit.byte);
                if i + 1 < MIN_FRAGMENT {
                    continue;
                }
                let (word, bit) = filter_bit(key);
                if !self.filter.get(word).is_some_and(|w| w & bit != 0)
                    || self.grams.binary_search(&key).is_err()
                {
                    continue;
                }
                let (from, to) = (i + 1 - MIN_FRAGMENT, i + 1);
                run = match run {
                    Some((s, e)) if from <= e => Some((s, to)),
                    Some(done) => {
                        flush(done, spans);
                        Some((from, to))
                    }
                    None => Some((from, to)),
                };
            }
            if let Some(done) = run {
                flush(done, spans);
            }
        }
        for short in &self.short {
            let mut i = 0;
            while i + short.len() <= stream.len() {
                let window = &stream[i..i + short.len()];
                if window.iter().zip(short).all(|(u, b)| u.byte == *b) {
                    flush((i, i + short.len()), spans);
                    i += short.len();
                } else {
                    i += 1;
                }
            }
        }
    }
}

/// Replaces every credential in `secrets` (each added with [`Redactor::add_credential`]) found
/// in `text`, in any form, with [`REDACTED`]. Empty secrets are ignored.
///
/// ```
/// assert_eq!(confluence_users::redact("a SECRET%2DTOKEN b", ["SECRET-TOKEN"]), "a [REDACTED] b");
/// ```
pub fn redact<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut redactor = Redactor::default();
    for secret in secrets {
        redactor.add_credential(secret);
    }
    redactor.redact(text)
}

/// The `auth` of a client's options before they are validated, as a front end read it (the
/// wasm skin's constructor; natively only the tests build one).
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) enum GivenAuth<'a> {
    /// `auth` is a string.
    Text(&'a str),
    /// `auth` is an object: its `email` and `apiToken` (when strings), and every string it
    /// holds by key.
    Fields {
        email: Option<&'a str>,
        api_token: Option<&'a str>,
        strings: &'a [(String, String)],
    },
}

/// What an error about options that did not validate must not echo, in any form, since no
/// validated config exists yet: every string of `auth` but its `type` and `email` (or `auth`
/// itself when it is a string), and the base64 of `email:apiToken`. Strings under 6
/// characters are left out (no real credential is that short, and redacting them would
/// garble the message: a token `"t"` would redact every "t"), and so are strings over
/// [`MAX_CREDENTIAL_LEN`](crate::MAX_CREDENTIAL_LEN): such a credential is refused unsent
/// and never quoted, and a redaction table for it would take memory in proportion to it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn given_secrets(auth: GivenAuth<'_>) -> Vec<String> {
    const MIN_LEN: usize = 6;
    let fits = |s: &str| (MIN_LEN..=crate::MAX_CREDENTIAL_LEN).contains(&s.len());
    match auth {
        GivenAuth::Text(s) => fits(s).then(|| s.to_owned()).into_iter().collect(),
        GivenAuth::Fields {
            email,
            api_token,
            strings,
        } => {
            let mut found = Vec::new();
            if let (Some(email), Some(token)) = (email, api_token) {
                if token.len() <= crate::MAX_CREDENTIAL_LEN {
                    found.push(base64(format!("{email}:{token}").as_bytes()));
                }
            }
            for (key, value) in strings {
                if fits(value) && !matches!(key.as_str(), "type" | "email") {
                    found.push(value.clone());
                }
            }
            found
        }
    }
}

/// The text's bytes with whitespace left out, each with the span of its character.
fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        if c.is_whitespace() {
            continue;
        }
        let end = start + c.len_utf8();
        for &byte in &text.as_bytes()[start..end] {
            out.push(Unit { byte, start, end });
        }
    }
    out
}

/// One decoding pass: `%HH`, HTML character references, backslash escapes (`\uXXXX`,
/// `\u{X}`, `\xHH`, `\n` and the like, `\/`, `\"`, `\\`) and tags are read as what they
/// stand for (a tag as nothing, whitespace as nothing). Everything else is kept. `None` when
/// the text has nothing to decode (the common case: then it is not read again).
fn decode(units: &[Unit]) -> Option<Vec<Unit>> {
    if !units
        .iter()
        .any(|u| matches!(u.byte, b'%' | b'&' | b'\\' | b'<'))
    {
        return None;
    }
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let decoded = match units[i].byte {
            b'%' => percent(units, i),
            b'&' => entity(units, i),
            b'\\' => escape(units, i),
            b'<' => tag(units, i),
            _ => None,
        };
        match decoded {
            Some((used, what)) => {
                let (start, end) = (units[i].start, units[i + used - 1].end);
                let mut buf = [0u8; 4];
                let bytes: &[u8] = match what {
                    Decoded::Byte(b) if b.is_ascii_whitespace() => &[],
                    Decoded::Byte(b) => {
                        buf[0] = b;
                        &buf[..1]
                    }
                    Decoded::Char(c) if c.is_whitespace() => &[],
                    Decoded::Char(c) => c.encode_utf8(&mut buf).as_bytes(),
                    Decoded::Nothing => &[],
                };
                out.extend(bytes.iter().map(|&byte| Unit { byte, start, end }));
                i += used;
            }
            None => {
                out.push(units[i]);
                i += 1;
            }
        }
    }
    Some(out)
}

/// What a decoded sequence stands for.
enum Decoded {
    Byte(u8),
    Char(char),
    Nothing,
}

fn hex_value(units: &[Unit]) -> Option<u32> {
    if units.is_empty() || units.len() > 6 {
        return None;
    }
    units
        .iter()
        .try_fold(0u32, |n, u| Some(n * 16 + char::from(u.byte).to_digit(16)?))
}

fn percent(units: &[Unit], i: usize) -> Option<(usize, Decoded)> {
    let value = hex_value(units.get(i + 1..i + 3)?)?;
    Some((3, Decoded::Byte(value as u8)))
}

/// Named references for the ASCII characters that have one (letters and digits have none),
/// and the no-break space.
const ENTITIES: &[(&str, char)] = &[
    ("Tab", '\t'),
    ("NewLine", '\n'),
    ("nbsp", '\u{a0}'),
    ("excl", '!'),
    ("quot", '"'),
    ("QUOT", '"'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("amp", '&'),
    ("AMP", '&'),
    ("apos", '\''),
    ("lpar", '('),
    ("rpar", ')'),
    ("ast", '*'),
    ("midast", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("colon", ':'),
    ("semi", ';'),
    ("lt", '<'),
    ("LT", '<'),
    ("equals", '='),
    ("gt", '>'),
    ("GT", '>'),
    ("quest", '?'),
    ("commat", '@'),
    ("lsqb", '['),
    ("lbrack", '['),
    ("bsol", '\\'),
    ("rsqb", ']'),
    ("rbrack", ']'),
    ("Hat", '^'),
    ("lowbar", '_'),
    ("UnderBar", '_'),
    ("grave", '`'),
    ("DiacriticalGrave", '`'),
    ("lcub", '{'),
    ("lbrace", '{'),
    ("verbar", '|'),
    ("vert", '|'),
    ("VerticalLine", '|'),
    ("rcub", '}'),
    ("rbrace", '}'),
];

fn entity(units: &[Unit], i: usize) -> Option<(usize, Decoded)> {
    // The longest reference read is `&DiacriticalGrave;` (18 units).
    let rest = units.get(i + 1..units.len().min(i + 19))?;
    let semi = rest.iter().position(|u| u.byte == b';')?;
    let name: Vec<u8> = rest[..semi].iter().map(|u| u.byte).collect();
    let c = match name.as_slice() {
        [b'#', b'x' | b'X', hex @ ..] => char::from_u32(hex_value(&rest[2..2 + hex.len()])?)?,
        [b'#', digits @ ..] if !digits.is_empty() && digits.len() <= 7 => {
            let n = digits
                .iter()
                .try_fold(0u32, |n, d| Some(n * 10 + char::from(*d).to_digit(10)?))?;
            char::from_u32(n)?
        }
        _ => {
            let name = std::str::from_utf8(&name).ok()?;
            ENTITIES.iter().find(|(n, _)| *n == name)?.1
        }
    };
    Some((semi + 2, Decoded::Char(c)))
}

fn escape(units: &[Unit], i: usize) -> Option<(usize, Decoded)> {
    let next = units.get(i + 1)?.byte;
    match next {
        b'u' if units.get(i + 2)?.byte == b'{' => {
            let rest = units.get(i + 3..units.len().min(i + 10))?;
            let close = rest.iter().position(|u| u.byte == b'}')?;
            let c = char::from_u32(hex_value(&rest[..close])?)?;
            Some((close + 4, Decoded::Char(c)))
        }
        b'u' => {
            let c = char::from_u32(hex_value(units.get(i + 2..i + 6)?)?)?;
            Some((6, Decoded::Char(c)))
        }
        b'x' => {
            let b = hex_value(units.get(i + 2..i + 4)?)?;
            Some((4, Decoded::Byte(b as u8)))
        }
        b'n' | b'r' | b't' | b'f' | b'v' | b'0' => Some((2, Decoded::Nothing)),
        // JSON's escaped solidus, quote and backslash only: escaping any punctuation would
        // swallow the `%` of a percent-encoded secret behind a stray backslash.
        b @ (b'/' | b'"' | b'\\') => Some((2, Decoded::Byte(b))),
        _ => None,
    }
}

/// `<name ...>` or `</name>` (at most 64 units inside, of letters, digits and the plain
/// punctuation of attributes): markup around a credential. A tag holding `%`, `&` or `\` is
/// left to be decoded: dropped whole, it would hide an encoded secret inside it.
fn tag(units: &[Unit], i: usize) -> Option<(usize, Decoded)> {
    let mut j = i + 1;
    if units.get(j)?.byte == b'/' {
        j += 1;
    }
    if !units.get(j)?.byte.is_ascii_alphabetic() {
        return None;
    }
    let rest = units.get(j..units.len().min(j + 64))?;
    let close = rest
        .iter()
        .position(|u| !(u.byte.is_ascii_alphanumeric() || b"\"'=/-_:.".contains(&u.byte)))?;
    (rest[close].byte == b'>').then_some((j - i + close + 1, Decoded::Nothing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_of_unvalidated_options_are_every_credential_like_string() {
        assert_eq!(
            given_secrets(GivenAuth::Text("a-bearer-token")),
            ["a-bearer-token"]
        );
        assert!(given_secrets(GivenAuth::Text("short")).is_empty());
        let huge = "x".repeat(crate::MAX_CREDENTIAL_LEN + 1);
        assert!(given_secrets(GivenAuth::Text(&huge)).is_empty());
        let strings = [
            ("type".to_owned(), "basic-auth".to_owned()),
            ("email".to_owned(), "me@example.com".to_owned()),
            ("apiToken".to_owned(), "api-token-1".to_owned()),
            ("extra".to_owned(), "tiny".to_owned()),
            ("other".to_owned(), huge.clone()),
        ];
        let found = given_secrets(GivenAuth::Fields {
            email: Some("me@example.com"),
            api_token: Some("api-token-1"),
            strings: &strings,
        });
        assert_eq!(
            found,
            [
                base64(b"me@example.com:api-token-1"),
                "api-token-1".to_owned()
            ]
        );
        // A token too long to send is not base64-encoded either.
        let found = given_secrets(GivenAuth::Fields {
            email: Some("me@example.com"),
            api_token: Some(&huge),
            strings: &[],
        });
        assert!(found.is_empty());
    }

    const TOKEN: &str = "SECRET-TOKEN-ABC123";

    #[test]
    fn heapsort_sorts_as_the_standard_sort_does() {
        // Lengths 0 to 40 of pseudo-random values with repeats, and spans that tie on start.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..40 {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 16
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            heapsort(&mut v);
            assert_eq!(v, want);
        }
        let mut spans = vec![(5, 9), (0, 3), (5, 6), (2, 8), (0, 1)];
        heapsort(&mut spans);
        assert_eq!(spans, [(0, 1), (0, 3), (2, 8), (5, 6), (5, 9)]);
    }

    fn r() -> Redactor {
        let mut r = Redactor::default();
        r.add_credential(TOKEN);
        r
    }

    fn percent_all(s: &str, upper: bool) -> String {
        s.bytes()
            .map(|b| match upper {
                true => format!("%{b:02X}"),
                false => format!("%{b:02x}"),
            })
            .collect()
    }

    #[test]
    fn every_form_is_removed() {
        let forms = [
            TOKEN.to_owned(),
            "SECRET-TOKEN-AB".to_owned(),
            "KEN-ABC1".to_owned(),
            "SECRET-TO\nKEN-ABC123".to_owned(),
            "SECRET-TO\r\n  KEN-ABC123".to_owned(),
            "SECRET\\r\\nTOKEN-ABC123".to_owned(),
            "SECRET-TOKEN%2DABC123".to_owned(),
            percent_all(TOKEN, true),
            percent_all(TOKEN, false),
            percent_all(TOKEN, true).replace('%', "%25"),
            TOKEN.chars().map(|c| format!("&#{};", c as u32)).collect(),
            TOKEN
                .chars()
                .map(|c| format!("&#x{:x};", c as u32))
                .collect(),
            TOKEN
                .chars()
                .map(|c| format!("&#X{:X};", c as u32))
                .collect(),
            TOKEN.replace('-', "&#45;"),
            "SECRET<br>-TOKEN-<b>ABC123</b>".to_owned(),
            TOKEN
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect(),
            TOKEN
                .chars()
                .map(|c| format!("\\u{{{:x}}}", c as u32))
                .collect(),
            base64(format!("admin@example.com:{TOKEN}").as_bytes()),
            base64(format!("x:{TOKEN}").as_bytes()),
            base64(format!("xy:{TOKEN}!").as_bytes()),
            base64(TOKEN.as_bytes()),
        ];
        for form in forms {
            let text = format!("before {form} after");
            let out = r().redact(&text);
            assert!(out.starts_with("before "), "{form:?}: {out:?}");
            assert!(out.ends_with(" after"), "{form:?}: {out:?}");
            assert!(out.contains(REDACTED), "{form:?} survived: {out:?}");
            assert!(!out.contains("ABC1"), "{form:?}: {out:?}");
        }
    }

    #[test]
    fn named_entities_and_escaped_punctuation() {
        let mut r = Redactor::default();
        r.add("a/b+c=d&e:f_g<h>i");
        for form in [
            "a&sol;b&plus;c&equals;d&amp;e&colon;f&lowbar;g&lt;h&gt;i",
            "a\\/b+c=d&amp;e:f_g&lt;h&gt;i",
            "a%2Fb%2bc%3Dd%26e%3Af_g%3Ch%3ei",
        ] {
            assert_eq!(r.redact(&format!("[{form}]")), "[[REDACTED]]", "{form}");
        }
    }

    #[test]
    fn fragments_of_eight_or_more_go_shorter_ones_stay() {
        assert_eq!(r().redact("x SECRET-T y"), "x [REDACTED] y");
        assert_eq!(r().redact("x SECRET- y"), "x SECRET- y");
        // A message cut after 7 characters of the token keeps at most those 7.
        let cut = format!("{}…", &TOKEN[..7]);
        assert_eq!(r().redact(&cut), cut);
        assert_eq!(r().redact(&format!("{}…", &TOKEN[..8])), "[REDACTED]…");
    }

    #[test]
    fn markup_a_match_reads_through_stays() {
        let text = format!("<title>denied {TOKEN}</title><body>{TOKEN}</body>");
        assert_eq!(
            r().redact(&text),
            "<title>denied [REDACTED]</title><body>[REDACTED]</body>"
        );
        assert_eq!(
            r().redact("SECRET-<b>TOKEN</b>"),
            "[REDACTED]<b>[REDACTED]</b>"
        );
    }

    #[test]
    fn unrelated_text_is_unchanged() {
        for text in [
            "",
            "the token was refused",
            "SECRET TOKEN ABC 123",
            "%41%42 &amp; &#x53; \\u0041 <b>bold</b> \u{a0}é€",
            "expected a string, found a number at results[3].accountId",
        ] {
            assert_eq!(r().redact(text), text);
        }
    }

    #[test]
    fn short_secrets_are_matched_whole() {
        let mut r = Redactor::default();
        r.add_credential("abc12");
        assert_eq!(r.redact("x abc12 y abc1"), "x [REDACTED] y abc1");
        assert_eq!(r.redact("x ab%63%312 y"), "x [REDACTED] y");
        assert!(Redactor::default().is_empty());
        let mut blank = Redactor::default();
        blank.add("\r\n");
        assert_eq!(blank.redact("a\r\nb c"), "a[REDACTED]b c");
        r.add("");
        assert_eq!(r.redact("abc"), "abc");
    }

    #[test]
    fn adjacent_and_overlapping_matches_become_one() {
        let text = format!("{TOKEN}{TOKEN} and {TOKEN} {}", &TOKEN[4..]);
        assert_eq!(r().redact(&text), "[REDACTED] and [REDACTED]");
    }

    #[test]
    fn multibyte_text_and_secrets() {
        let mut r = Redactor::default();
        r.add_credential("pässwörd-€-ünïcode");
        assert_eq!(r.redact("é pässwörd-€-ünïcode é"), "é [REDACTED] é");
        assert_eq!(r.redact("é p%C3%A4sswörd-€ é"), "é [REDACTED] é");
        assert_eq!(r.redact("ü€é"), "ü€é");
    }

    #[test]
    fn debug_hides_the_secrets() {
        let shown = format!("{:?}", r());
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn recent_tokens_keep_the_last_distinct_ones() {
        let mut recent = RecentTokens::default();
        for i in 0..RECENT_TOKENS + 3 {
            recent.remember(&format!("token-{i}"));
            recent.remember(&format!("token-{i}"));
        }
        let expected: Vec<String> = (3..RECENT_TOKENS + 3)
            .map(|i| format!("token-{i}"))
            .collect();
        assert_eq!(recent.tokens(), expected.as_slice());
        // One seen again is not moved or doubled.
        recent.remember("token-5");
        assert_eq!(recent.tokens(), expected.as_slice());
    }

    #[test]
    fn call_tokens_redact_recent_and_added_tokens() {
        let mut recent = RecentTokens::default();
        recent.remember("recent-token-0123456789");
        let mut tokens = CallTokens::new(&recent);
        let text = "saw recent-token-0123456789 and later-token-9876543210";
        assert_eq!(
            tokens.redact(None, text),
            "saw [REDACTED] and later-token-9876543210"
        );
        // A token added after the table was built is searched too.
        tokens.add("later-token-9876543210");
        assert_eq!(tokens.redact(None, text), "saw [REDACTED] and [REDACTED]");
    }
}
