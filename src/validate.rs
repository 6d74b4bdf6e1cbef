//! Checks a JSON body against a [`Shape`] in one pass, without building anything.
//!
//! The rules mirror what serde_json and the models in [`crate::models`] accept, field by field:
//! known fields are parsed strictly (paired surrogates in `\u` escapes, integers without a
//! fraction or exponent and within range, a nesting limit of 127), unknown fields are only
//! checked for JSON syntax, at any depth, as serde skips them. It is stricter in one place:
//! an array is never accepted where an object is expected (serde's derive would take it as
//! the fields in order).

use std::borrow::Cow;

use crate::schema::{Object, Shape};

/// Why a body does not match its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Where, as `results[1].accountId` (`.` for the whole body).
    pub path: String,
    /// What was wrong there.
    pub message: String,
}

/// The deepest nesting of parsed arrays and objects serde_json allows.
const MAX_DEPTH: usize = 127;

/// Checks that `body` is one JSON value of `shape`, with nothing after it but whitespace.
pub fn validate(body: &str, shape: &Shape) -> Result<(), Invalid> {
    let mut v = Validator {
        s: body.as_bytes(),
        i: 0,
        depth: 0,
        path: Vec::new(),
    };
    v.value(shape)?;
    v.ws();
    if v.i < v.s.len() {
        return Err(v.fail("trailing characters after the JSON value"));
    }
    Ok(())
}

enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

struct Validator<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    path: Vec<Seg<'a>>,
}

type R = Result<(), Invalid>;

impl<'a> Validator<'a> {
    fn fail(&self, message: impl Into<String>) -> Invalid {
        let mut path = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&shown(k));
                }
                Seg::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        if path.is_empty() {
            path.push('.');
        }
        Invalid {
            path,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The kind of value starting at the cursor, for "expected X, found Y" messages.
    fn found(&self) -> &'static str {
        match self.peek() {
            None => "the end of the body",
            Some(b'"') => "a string",
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "a number",
            Some(_) => "something that is not JSON",
        }
    }

    /// A syntax error: either the body ended early or something else stands where `what`
    /// should.
    fn syntax(&self, what: &str) -> Invalid {
        if self.i >= self.s.len() {
            self.fail("the body ends too early (truncated?)")
        } else {
            self.fail(format!("expected {what}"))
        }
    }

    fn expected(&self, what: &str) -> Invalid {
        self.fail(format!("expected {what}, found {}", self.found()))
    }

    fn enter(&mut self) -> R {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("nesting deeper than the recursion limit of 127"));
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> R {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.fail("invalid literal"))
        }
    }

    fn value(&mut self, shape: &Shape) -> R {
        self.ws();
        match shape {
            Shape::String => match self.peek() {
                Some(b'"') => self.string(true).map(drop),
                _ => Err(self.expected("a string")),
            },
            Shape::Bool => match self.peek() {
                Some(b't') => self.literal(b"true"),
                Some(b'f') => self.literal(b"false"),
                _ => Err(self.expected("a boolean")),
            },
            Shape::Int32 => {
                self.integer(i64::from(i32::MIN), i64::from(i32::MAX), "a 32-bit integer")
            }
            Shape::SafeInt => self.integer(
                -MAX_SAFE,
                MAX_SAFE,
                "an integer JavaScript numbers represent exactly",
            ),
            Shape::Nullable(inner) => match self.peek() {
                Some(b'n') => self.literal(b"null"),
                _ => self.value(inner),
            },
            Shape::Array(item) => {
                if self.peek() != Some(b'[') {
                    return Err(self.expected("an array"));
                }
                self.enter()?;
                self.i += 1;
                let mut index = 0;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.path.push(Seg::Index(index));
                        self.value(item)?;
                        self.path.pop();
                        index += 1;
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.syntax("',' or ']' in an array")),
                        }
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            Shape::Object(object) => self.object(object),
            Shape::Links => self.map(true),
            Shape::AnyObject => self.map(false),
        }
    }

    /// An object of known fields.
    fn object(&mut self, object: &Object) -> R {
        if self.peek() != Some(b'{') {
            return Err(self.expected("an object"));
        }
        let mut seen: u64 = 0;
        self.members(
            |v, key| match object.fields.iter().position(|f| f.name == key.as_ref()) {
                Some(n) => {
                    if seen & (1 << n) != 0 {
                        return Err(v.fail(format!("duplicate field `{}`", shown(key))));
                    }
                    seen |= 1 << n;
                    v.value(&object.fields[n].shape)
                }
                None => v.any(object.keeps_unknown),
            },
        )?;
        for (n, field) in object.fields.iter().enumerate() {
            if field.required && seen & (1 << n) == 0 {
                return Err(self.fail(format!("missing field `{}` of {}", field.name, object.name)));
            }
        }
        Ok(())
    }

    /// An object of free keys: `_links` (values are strings or objects) or any object.
    fn map(&mut self, links: bool) -> R {
        if self.peek() != Some(b'{') {
            return Err(self.expected("an object"));
        }
        if !links {
            return self.any(true);
        }
        self.members(|v, _| match v.peek() {
            Some(b'"') => v.string(true).map(drop),
            Some(b'{') => v.any(true),
            _ => Err(v.expected("a string or an object")),
        })
    }

    /// The members of the object at the cursor (a `{`): each key is parsed strictly, as serde
    /// parses keys, and `member` checks the value with the key on the path.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &Cow<'a, str>) -> R) -> R {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.syntax("a key"));
                }
                let key = self.string(true)?;
                self.colon()?;
                self.ws();
                self.path.push(Seg::Key(key.clone()));
                member(self, &key)?;
                self.path.pop();
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.syntax("',' or '}' in an object")),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn colon(&mut self) -> R {
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.syntax("':' after a key"));
        }
        self.i += 1;
        Ok(())
    }

    /// Any JSON value. `parsed`: as serde parses a value it keeps (strict strings, finite
    /// numbers, the nesting limit); otherwise as it skips one (syntax only, any depth).
    /// Iterative, so skipped values of any depth cannot exhaust the stack.
    fn any(&mut self, parsed: bool) -> R {
        let base = self.depth;
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value starts here.
            self.ws();
            match self.peek() {
                Some(b'{') | Some(b'[') => {
                    let c = self.s[self.i];
                    self.i += 1;
                    if parsed && base + open.len() + 1 > MAX_DEPTH {
                        return Err(self.fail("nesting deeper than the recursion limit of 127"));
                    }
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        open.push(c);
                        if c == b'{' {
                            self.key(parsed)?;
                        }
                        continue;
                    }
                }
                Some(b'"') => self.string(parsed).map(drop)?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number(parsed)?,
                _ => return Err(self.expected("a JSON value")),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&top) = open.last() else {
                    return Ok(());
                };
                self.ws();
                match (top, self.peek()) {
                    (_, Some(b',')) => {
                        self.i += 1;
                        if top == b'{' {
                            self.key(parsed)?;
                        }
                        break;
                    }
                    (b'[', Some(b']')) | (b'{', Some(b'}')) => {
                        self.i += 1;
                        open.pop();
                    }
                    _ => return Err(self.syntax("',' or a closing bracket")),
                }
            }
        }
    }

    fn key(&mut self, parsed: bool) -> R {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.syntax("a key"));
        }
        self.string(parsed)?;
        self.colon()
    }

    /// A string at the cursor; returns its content (unescaped only when it has escapes).
    /// `strict`: `\u` surrogates must pair, as serde_json requires of strings it keeps.
    fn string(&mut self, strict: bool) -> Result<Cow<'a, str>, Invalid> {
        let s = self.s;
        self.i += 1;
        let start = self.i;
        let mut owned: Option<String> = None;
        loop {
            let Some(&b) = s.get(self.i) else {
                return Err(self.syntax("the end of a string"));
            };
            match b {
                b'"' => {
                    let raw = &s[start..self.i];
                    self.i += 1;
                    // The body is a &str and quotes and backslashes are ASCII, so every
                    // slice between them is valid UTF-8.
                    let text = std::str::from_utf8(raw).unwrap_or_default();
                    return Ok(match owned {
                        Some(buf) => Cow::Owned(buf),
                        None => Cow::Borrowed(text),
                    });
                }
                b'\\' => {
                    let buf = owned.get_or_insert_with(|| {
                        std::str::from_utf8(&s[start..self.i])
                            .unwrap_or_default()
                            .to_owned()
                    });
                    self.i += 1;
                    let escaped = s.get(self.i).copied();
                    self.i += 1;
                    match escaped {
                        Some(b'"') => buf.push('"'),
                        Some(b'\\') => buf.push('\\'),
                        Some(b'/') => buf.push('/'),
                        Some(b'b') => buf.push('\u{8}'),
                        Some(b'f') => buf.push('\u{c}'),
                        Some(b'n') => buf.push('\n'),
                        Some(b'r') => buf.push('\r'),
                        Some(b't') => buf.push('\t'),
                        Some(b'u') => {
                            let unit = self.hex4()?;
                            let c = if !(0xD800..=0xDFFF).contains(&unit) {
                                char::from_u32(unit.into())
                            } else if !strict {
                                None
                            } else if unit >= 0xDC00 {
                                return Err(self.fail("lone trailing surrogate in a \\u escape"));
                            } else if s.get(self.i..self.i + 2) == Some(b"\\u") {
                                self.i += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..=0xDFFF).contains(&low) {
                                    return Err(self.fail("lone leading surrogate in a \\u escape"));
                                }
                                let code = 0x10000
                                    + ((u32::from(unit) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00);
                                char::from_u32(code)
                            } else {
                                return Err(self.fail("lone leading surrogate in a \\u escape"));
                            };
                            buf.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.fail("invalid escape in a string")),
                    }
                    continue;
                }
                0x00..=0x1F => return Err(self.fail("control character in a string")),
                _ => {
                    if let Some(buf) = owned.as_mut() {
                        // Copy the run up to the next quote, backslash or control character.
                        let run_start = self.i;
                        while let Some(&c) = s.get(self.i) {
                            if c == b'"' || c == b'\\' || c < 0x20 {
                                break;
                            }
                            self.i += 1;
                        }
                        buf.push_str(
                            std::str::from_utf8(&s[run_start..self.i]).unwrap_or_default(),
                        );
                        continue;
                    }
                }
            }
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Result<u16, Invalid> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.fail("unterminated \\u escape"))?;
        let text = std::str::from_utf8(digits).unwrap_or("");
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.fail("invalid \\u escape"));
        }
        self.i += 4;
        u16::from_str_radix(text, 16).map_err(|_| self.fail("invalid \\u escape"))
    }

    /// The extent of a JSON number at the cursor: `(integer?, text)`. Checks the grammar.
    fn number_text(&mut self) -> Result<(bool, &'a str), Invalid> {
        let s = self.s;
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.fail("invalid number (leading zero)"));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return Err(self.fail("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number (no digit after '.')"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number (no digit in the exponent)"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        let text = std::str::from_utf8(&s[start..self.i]).unwrap_or("");
        Ok((integer, text))
    }

    /// Any number; a kept one must fit an f64, as serde_json's value parsing requires.
    fn number(&mut self, parsed: bool) -> R {
        let (_, text) = self.number_text()?;
        if parsed && !text.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(self.fail(format!("number {} is out of range", shown(text))));
        }
        Ok(())
    }

    /// An integer within `min..=max`: no fraction, no exponent, and not `-0` (which serde_json
    /// reads as a float).
    fn integer(&mut self, min: i64, max: i64, what: &str) -> R {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected("an integer"));
        }
        let (integer, text) = self.number_text()?;
        if !integer || text == "-0" {
            return Err(self.fail(format!(
                "expected an integer, found the number {}",
                shown(text)
            )));
        }
        match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(self.fail(format!(
                "integer {} is out of range for {what}",
                shown(text)
            ))),
        }
    }
}

/// Text from the body as it may appear in a message: control characters escaped and long
/// text cut, so a hostile body cannot make an error message huge or unprintable.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 64;
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The largest integer a JS number holds exactly, 2^53 − 1.
const MAX_SAFE: i64 = 9_007_199_254_740_991;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{
        ACCOUNT_ID_EMAIL_RECORD, BULK_USER_LOOKUP_ARRAY, GROUP_ARRAY_WITH_LINKS, USER,
    };

    fn user(body: &str) -> Result<(), Invalid> {
        validate(body, &Shape::Object(&USER))
    }

    fn err(result: Result<(), Invalid>) -> (String, String) {
        let e = result.unwrap_err();
        (e.path, e.message)
    }

    #[test]
    fn fixtures_are_valid() {
        const RECORD: Shape = Shape::Object(&ACCOUNT_ID_EMAIL_RECORD);
        let cases: [(&str, Shape); 4] = [
            (
                include_str!("../tests/fixtures/user.json"),
                Shape::Object(&USER),
            ),
            (
                include_str!("../tests/fixtures/bulk_users.json"),
                Shape::Object(&BULK_USER_LOOKUP_ARRAY),
            ),
            (
                include_str!("../tests/fixtures/groups.json"),
                Shape::Object(&GROUP_ARRAY_WITH_LINKS),
            ),
            (
                include_str!("../tests/fixtures/email_bulk.json"),
                Shape::Array(&RECORD),
            ),
        ];
        for (body, shape) in cases {
            validate(body, &shape).unwrap();
        }
    }

    #[test]
    fn wrong_types_and_missing_fields_name_their_path() {
        assert_eq!(
            err(user(r#"{"publicName":"p"}"#)),
            (".".into(), "missing field `type` of User".into())
        );
        assert_eq!(
            err(user(r#"{"type":5}"#)),
            ("type".into(), "expected a string, found a number".into())
        );
        assert_eq!(
            err(user(r#"{"type":"known","publicName":null}"#)).0,
            "publicName"
        );
        assert!(user(r#"{"type":"known","displayName":null,"profilePicture":null}"#).is_ok());
        let (path, message) = err(user(
            r#"{"type":"known","profilePicture":{"path":"p","width":1.5,"height":1,"isDefault":true}}"#,
        ));
        assert_eq!(path, "profilePicture.width");
        assert_eq!(message, "expected an integer, found the number 1.5");
        let (path, _) = err(user(
            r#"{"type":"known","operations":[{"operation":"read","targetType":"space"},{"operation":"read"}]}"#,
        ));
        assert_eq!(path, "operations[1]");
        assert_eq!(
            err(user(r#"{"type":"known","type":"user"}"#)).1,
            "duplicate field `type`"
        );
        assert_eq!(
            err(user(r#"["known"]"#)).1,
            "expected an object, found an array"
        );
        assert_eq!(
            err(user(r#"{"type":"known","profilePicture":["p",1,1,true]}"#)).1,
            "expected an object, found an array"
        );
    }

    #[test]
    fn integers_follow_serde_json() {
        let icon = |w: &str| {
            user(&format!(
                r#"{{"type":"k","profilePicture":{{"path":"p","width":{w},"height":1,"isDefault":false}}}}"#
            ))
        };
        for ok in ["0", "-1", "2147483647", "-2147483648"] {
            assert!(icon(ok).is_ok(), "{ok}");
        }
        for bad in [
            "-0",
            "2147483648",
            "-2147483649",
            "1e2",
            "1.0",
            "01",
            "99999999999999999999999",
            "-",
            "1.",
        ] {
            assert!(icon(bad).is_err(), "{bad}");
        }
        let groups = |t: &str| {
            validate(
                &format!(
                    r#"{{"results":[],"start":0,"limit":1,"size":0,"totalSize":{t},"_links":{{}}}}"#
                ),
                &Shape::Object(&GROUP_ARRAY_WITH_LINKS),
            )
        };
        assert!(groups("9007199254740991").is_ok());
        assert!(groups("-9007199254740991").is_ok());
        assert!(groups("9007199254740992").is_err());
    }

    #[test]
    fn strings_and_escapes() {
        assert!(user(r#"{"type":"k\u00e9\ud83d\ude00\n"}"#).is_ok());
        assert!(
            user(r#"{"t\u0079pe":"known"}"#).is_ok(),
            "escaped keys match field names"
        );
        assert_eq!(
            err(user(r#"{"type":"\ud83d"}"#)).1,
            "lone leading surrogate in a \\u escape"
        );
        assert_eq!(
            err(user(r#"{"type":"\ude00"}"#)).1,
            "lone trailing surrogate in a \\u escape"
        );
        assert!(
            user(r#"{"type":"k","unknown":"\ud83d"}"#).is_ok(),
            "skipped strings are not paired, as serde skips them"
        );
        assert!(user("{\"type\":\"a\u{1}b\"}").is_err());
        assert!(user(r#"{"type":"\x"}"#).is_err());
        assert!(user(r#"{"type":"abc"#).is_err());
    }

    #[test]
    fn links_take_strings_and_objects() {
        assert!(user(r#"{"type":"k","_links":{"self":"u","x":{"a":[1,{"b":null}]}}}"#).is_ok());
        assert_eq!(
            err(user(r#"{"type":"k","_links":{"self":5}}"#)),
            (
                "_links.self".into(),
                "expected a string or an object, found a number".into()
            )
        );
        assert!(
            user(r#"{"type":"k","_links":{"x":{"n":1e400}}}"#).is_err(),
            "kept numbers must fit an f64"
        );
        assert!(
            user(r#"{"type":"k","unknown":1e400}"#).is_ok(),
            "skipped numbers are only checked for syntax"
        );
    }

    #[test]
    fn nesting_limits_mirror_serde() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        // Skipped: any depth.
        assert!(user(&format!(r#"{{"type":"k","x":{}}}"#, deep(100_000))).is_ok());
        // Kept: the root object, `_links` and `x` use 3 of the 127 levels.
        assert!(user(&format!(
            r#"{{"type":"k","_links":{{"x":{{"a":{}}}}}}}"#,
            deep(124)
        ))
        .is_ok());
        assert!(user(&format!(
            r#"{{"type":"k","_links":{{"x":{{"a":{}}}}}}}"#,
            deep(125)
        ))
        .is_err());
    }

    #[test]
    fn messages_stay_short_and_printable() {
        let huge = "9".repeat(100_000);
        let (_, message) = err(user(&format!(
            r#"{{"type":"k","profilePicture":{{"path":"p","width":{huge},"height":1,"isDefault":true}}}}"#
        )));
        assert!(message.len() < 200, "{}", message.len());
        let key = r"k\u0001".repeat(50);
        let (path, _) = err(user(&format!(r#"{{"type":"k","_links":{{"{key}":5}}}}"#)));
        assert!(
            path.len() < 512 && !path.chars().any(char::is_control),
            "{path:?}"
        );
    }

    #[test]
    fn syntax_errors_anywhere_are_errors() {
        for bad in [
            r#"{"type":"k""#,
            r#"{"type":"k",}"#,
            r#"{"type":"k"} x"#,
            r#"{"type":"k","x":[1,]}"#,
            r#"{"type":"k","x":tru}"#,
            r#"{"type" "k"}"#,
            "",
        ] {
            assert!(user(bad).is_err(), "{bad}");
        }
    }
}
