//! Checks a JSON body against a [`Shape`] in one pass, without building anything.
//!
//! The rules mirror what serde_json and the models in [`crate::models`] accept, field by field:
//! known fields are parsed strictly (paired surrogates in `\u` escapes, integers without a
//! fraction or exponent and within range, a nesting limit of 127), unknown fields are only
//! checked for JSON syntax, at any depth, as serde skips them. It is stricter in one place:
//! an array is never accepted where an object is expected (serde's derive would take it as
//! the fields in order).

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
    validate_bytes(body.as_bytes(), shape)
}

/// [`validate`] on bytes: string contents are not checked for UTF-8 (the caller does, or a
/// decoder replaces what is invalid).
pub(crate) fn validate_bytes(body: &[u8], shape: &Shape) -> Result<(), Invalid> {
    validate_bytes_redacted(body, shape, &|s| s.to_owned())
}

/// [`validate_bytes`], applying `redact` to the body's text that a message quotes (keys in the
/// path, numbers) before it is cut to length, so a credential the body echoes cannot survive
/// in part.
pub(crate) fn validate_bytes_redacted(
    body: &[u8],
    shape: &Shape,
    redact: &dyn Fn(&str) -> String,
) -> Result<(), Invalid> {
    // The first pass keeps no path; a body that fails is checked again with one, which fails
    // at the same place and names it.
    check(body, shape, None).or_else(|_| check(body, shape, Some(redact)))
}

/// One pass; `redact` is given for the pass that keeps the path (and builds the message).
fn check(
    body: &[u8],
    shape: &Shape,
    redact: Option<&dyn Fn(&str) -> String>,
) -> Result<(), Invalid> {
    let mut v = Validator {
        s: body,
        i: 0,
        depth: 0,
        path: Vec::new(),
        tracked: redact.is_some(),
        redact,
    };
    v.value(shape)?;
    v.ws();
    if v.i < v.s.len() {
        return Err(v.fail("trailing characters after the JSON value"));
    }
    Ok(())
}

enum Seg {
    /// The offset of the key's opening quote: the key is read again only for a message.
    Key(usize),
    Index(usize),
}

/// A string's content: the bytes between the quotes when it has no escapes (the common case,
/// found without copying), else the unescaped text.
enum Text<'a> {
    Raw(&'a [u8]),
    Unescaped(String),
}

impl Text<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Text::Raw(raw) => raw,
            Text::Unescaped(text) => text.as_bytes(),
        }
    }
}

/// Bytes that end the plain run of a string: the quote, a backslash, control characters.
static STOPS_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// How many bytes at the start of `rest` need no attention inside a string (none is in
/// [`STOPS_STRING`]). Eight bytes at a time as one `u64` while they can be read: a user body is
/// mostly string content. Not inlined: one copy in the binary.
#[inline(never)]
fn plain_len(rest: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Each byte of `x` below `n` (n <= 0x80) sets the high bit of its lane; a lane above one
    // that is set may be set wrongly (the subtraction's borrow), never a lane below it, so the
    // lowest set bit is exact.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut at = 0;
    for chunk in rest.chunks_exact(8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let stops = below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = &rest[at..];
    at + tail
        .iter()
        .position(|&b| STOPS_STRING[usize::from(b)])
        .unwrap_or(tail.len())
}

/// The open arrays and objects of a skipped value, one bit each (set for an object); only
/// nesting deeper than 64 levels spills to the heap.
#[derive(Default)]
struct Open {
    len: usize,
    bits: u64,
    deeper: Vec<bool>,
}

impl Open {
    fn push(&mut self, object: bool) {
        if self.len < 64 {
            self.bits = (self.bits & !(1 << self.len)) | (u64::from(object) << self.len);
        } else {
            self.deeper.push(object);
        }
        self.len += 1;
    }

    /// Whether the innermost open value is an object; `None` when nothing is open.
    fn top(&self) -> Option<bool> {
        match self.len {
            0 => None,
            n if n <= 64 => Some(self.bits & (1 << (n - 1)) != 0),
            _ => self.deeper.last().copied(),
        }
    }

    fn pop(&mut self) {
        if self.len > 64 {
            self.deeper.pop();
        }
        self.len = self.len.saturating_sub(1);
    }
}

struct Validator<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// Where the cursor is, kept only when `tracked` (see [`validate_bytes`]).
    path: Vec<Seg>,
    tracked: bool,
    /// Applied to body text a message quotes, before [`shown`] cuts it.
    redact: Option<&'a dyn Fn(&str) -> String>,
}

type R = Result<(), Invalid>;

impl<'a> Validator<'a> {
    /// Body text as a message quotes it: redacted, then cut.
    fn show(&self, text: &str) -> String {
        match self.redact {
            Some(redact) => shown(&redact(text)),
            None => shown(text),
        }
    }

    fn fail(&self, message: impl Into<String>) -> Invalid {
        let mut path = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(at) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    let mut again = Validator {
                        s: self.s,
                        i: *at,
                        depth: 0,
                        path: Vec::new(),
                        tracked: false,
                        redact: None,
                    };
                    if let Ok(key) = again.string(true) {
                        path.push_str(&self.show(&String::from_utf8_lossy(key.bytes())));
                    }
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

    #[inline(always)]
    fn enter_path(&mut self, seg: Seg) {
        if self.tracked {
            self.path.push(seg);
        }
    }

    #[inline(always)]
    fn leave_path(&mut self) {
        if self.tracked {
            self.path.pop();
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline(always)]
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
            Shape::String | Shape::OpenEnum(_) => match self.peek() {
                Some(b'"') => self.skip_string(true),
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
                        self.enter_path(Seg::Index(index));
                        self.value(item)?;
                        self.leave_path();
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
        // Bodies usually list the fields in the table's order: try the one after the last
        // match first.
        let mut next = 0;
        self.members(|v, key| {
            let fields = object.fields;
            // From the hint to the end, then from the start: a field the body leaves out
            // costs one comparison more, not a scan of the fields before it.
            let found = (next..fields.len())
                .chain(0..next)
                .find(|&n| fields[n].name.as_bytes() == key);
            match found {
                Some(n) => {
                    if seen & (1 << n) != 0 {
                        let name = String::from_utf8_lossy(key);
                        return Err(v.fail(format!("duplicate field `{}`", v.show(&name))));
                    }
                    seen |= 1 << n;
                    next = n + 1;
                    v.value(&fields[n].shape)
                }
                None => v.any(object.keeps_unknown),
            }
        })?;
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
            Some(b'"') => v.skip_string(true),
            Some(b'{') => v.any(true),
            _ => Err(v.expected("a string or an object")),
        })
    }

    /// The members of the object at the cursor (a `{`): each key is parsed strictly, as serde
    /// parses keys, and `member` checks the value with the key on the path.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> R) -> R {
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
                let at = self.i;
                let key = self.string(true)?;
                self.colon()?;
                self.ws();
                self.enter_path(Seg::Key(at));
                member(self, key.bytes())?;
                self.leave_path();
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

    #[inline(always)]
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
        let mut open = Open::default();
        loop {
            // A value starts here.
            self.ws();
            match self.peek() {
                Some(c @ (b'{' | b'[')) => {
                    self.i += 1;
                    if parsed && base + open.len + 1 > MAX_DEPTH {
                        return Err(self.fail("nesting deeper than the recursion limit of 127"));
                    }
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        open.push(c == b'{');
                        if c == b'{' {
                            self.key(parsed)?;
                        }
                        continue;
                    }
                }
                Some(b'"') => self.skip_string(parsed)?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number(parsed)?,
                _ => return Err(self.expected("a JSON value")),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(object) = open.top() else {
                    return Ok(());
                };
                self.ws();
                match (object, self.peek()) {
                    (_, Some(b',')) => {
                        self.i += 1;
                        if object {
                            self.key(parsed)?;
                        }
                        break;
                    }
                    (false, Some(b']')) | (true, Some(b'}')) => {
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
    fn string(&mut self, strict: bool) -> Result<Text<'a>, Invalid> {
        let s = self.s;
        self.i += 1;
        let start = self.i;
        self.plain_run();
        if self.peek() == Some(b'"') {
            self.i += 1;
            return Ok(Text::Raw(&s[start..self.i - 1]));
        }
        // An escape, a control character or the end: the slow path, building the text.
        let mut buf = String::from_utf8_lossy(&s[start..self.i]).into_owned();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.syntax("the end of a string"));
            };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(Text::Unescaped(buf));
                }
                b'\\' => {
                    self.i += 1;
                    let escaped = self.peek();
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
                        Some(b'u') => buf.push(self.unicode_escape(strict)?),
                        _ => return Err(self.fail("invalid escape in a string")),
                    }
                }
                0x00..=0x1F => return Err(self.fail("control character in a string")),
                _ => {
                    let run_start = self.i;
                    self.plain_run();
                    buf.push_str(&String::from_utf8_lossy(&s[run_start..self.i]));
                }
            }
        }
    }

    /// A string whose content is not needed: the usual plain one is passed over without
    /// building anything; one with escapes goes through [`Validator::string`].
    #[inline(always)]
    fn skip_string(&mut self, strict: bool) -> R {
        let start = self.i;
        self.i += 1;
        self.plain_run();
        if self.peek() == Some(b'"') {
            self.i += 1;
            return Ok(());
        }
        self.i = start;
        self.string(strict).map(drop)
    }

    /// Moves the cursor past bytes that need no attention inside a string.
    #[inline(always)]
    fn plain_run(&mut self) {
        self.i += plain_len(self.s.get(self.i..).unwrap_or_default());
    }

    /// The character of a `\u` escape whose `\u` is just behind the cursor.
    fn unicode_escape(&mut self, strict: bool) -> Result<char, Invalid> {
        let s = self.s;
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
            let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
            char::from_u32(code)
        } else {
            return Err(self.fail("lone leading surrogate in a \\u escape"));
        };
        Ok(c.unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u16, Invalid> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.fail("unterminated \\u escape"))?;
        let mut unit: u16 = 0;
        for &b in digits {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.fail("invalid \\u escape")),
            };
            unit = unit << 4 | u16::from(digit);
        }
        self.i += 4;
        Ok(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// Checks the grammar of the JSON number at the cursor and moves past it.
    fn number_text(&mut self) -> Result<Number<'a>, Invalid> {
        let s = self.s;
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.fail("invalid number (leading zero)"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("invalid number")),
        }
        let int_digits = &s[int_start..self.i];
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.fail("invalid number (no digit after '.')"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number (no digit in the exponent)"));
            }
        }
        Ok(Number {
            text: &s[start..self.i],
            negative,
            int_digits,
            integer,
        })
    }

    /// Any number; a kept one must fit an f64, as serde_json's value parsing requires.
    fn number(&mut self, parsed: bool) -> R {
        let number = self.number_text()?;
        if parsed && !number.is_finite_f64() {
            let text = String::from_utf8_lossy(number.text);
            return Err(self.fail(format!("number {} is out of range", self.show(&text))));
        }
        Ok(())
    }

    /// An integer within `min..=max`: no fraction, no exponent, and not `-0` (which serde_json
    /// reads as a float).
    fn integer(&mut self, min: i64, max: i64, what: &str) -> R {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected("an integer"));
        }
        let number = self.number_text()?;
        let text = String::from_utf8_lossy(number.text);
        if !number.integer || number.text == b"-0" {
            return Err(self.fail(format!(
                "expected an integer, found the number {}",
                self.show(&text)
            )));
        }
        match number.int_value() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(self.fail(format!(
                "integer {} is out of range for {what}",
                self.show(&text)
            ))),
        }
    }
}

/// A number whose grammar was checked.
struct Number<'a> {
    text: &'a [u8],
    negative: bool,
    /// The digits before any `.` or exponent.
    int_digits: &'a [u8],
    /// No fraction and no exponent.
    integer: bool,
}

impl Number<'_> {
    /// The value of an integer, when it fits an i64.
    fn int_value(&self) -> Option<i64> {
        let mut n: i64 = 0;
        for &d in self.int_digits {
            let d = i64::from(d - b'0');
            n = n.checked_mul(10)?;
            n = if self.negative {
                n.checked_sub(d)?
            } else {
                n.checked_add(d)?
            };
        }
        Some(n)
    }

    /// Whether the number parses to a finite f64: whether its magnitude is below
    /// 2^1024 − 2^970, halfway between `f64::MAX` and 2^1024, where rounding to nearest (ties
    /// to even) goes to infinity. Decided on the digits, without float parsing.
    fn is_finite_f64(&self) -> bool {
        if self.integer && self.int_digits.len() < F64_OVERFLOW_DIGITS.len() {
            return true;
        }
        let text = self.text.strip_prefix(b"-").unwrap_or(self.text);
        let mantissa_end = text
            .iter()
            .position(|&b| b == b'e' || b == b'E')
            .unwrap_or(text.len());
        let exponent = text.get(mantissa_end + 1..).map_or(0, saturating_exponent);
        let mantissa = &text[..mantissa_end];
        let int_len = self.int_digits.len() as i64;
        let digits = mantissa.iter().copied().filter(u8::is_ascii_digit);
        let leading_zeros = digits.clone().take_while(|&d| d == b'0').count();
        let significant: Vec<u8> = digits.skip(leading_zeros).collect();
        if significant.is_empty() {
            return true; // zero
        }
        // The value is 0.<significant> × 10^magnitude.
        let magnitude = int_len
            .saturating_add(exponent)
            .saturating_sub(leading_zeros as i64);
        let limit = F64_OVERFLOW_DIGITS.as_bytes();
        match magnitude.cmp(&(limit.len() as i64)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                let end = significant
                    .iter()
                    .rposition(|&d| d != b'0')
                    .map_or(0, |i| i + 1);
                &significant[..end] < limit
            }
        }
    }
}

/// The value of an exponent's digits (with an optional sign), saturated far beyond any that
/// matters.
fn saturating_exponent(text: &[u8]) -> i64 {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits.iter().fold(0i64, |n, &d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    if negative {
        -value
    } else {
        value
    }
}

/// The digits of 2^1024 − 2^970, the smallest magnitude that rounds to an infinite f64.
const F64_OVERFLOW_DIGITS: &str = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

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
        validate(body, &Shape::Object(USER))
    }

    fn err(result: Result<(), Invalid>) -> (String, String) {
        let e = result.unwrap_err();
        (e.path, e.message)
    }

    #[test]
    fn fixtures_are_valid() {
        const RECORD: Shape = Shape::Object(ACCOUNT_ID_EMAIL_RECORD);
        let cases: [(&str, Shape); 4] = [
            (
                include_str!("../tests/fixtures/user.json"),
                Shape::Object(USER),
            ),
            (
                include_str!("../tests/fixtures/bulk_users.json"),
                Shape::Object(BULK_USER_LOOKUP_ARRAY),
            ),
            (
                include_str!("../tests/fixtures/groups.json"),
                Shape::Object(GROUP_ARRAY_WITH_LINKS),
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
                &Shape::Object(GROUP_ARRAY_WITH_LINKS),
            )
        };
        assert!(groups("9007199254740991").is_ok());
        assert!(groups("-9007199254740991").is_ok());
        assert!(groups("9007199254740992").is_err());
    }

    #[test]
    fn plain_len_stops_at_the_first_quote_backslash_or_control_character() {
        let by_table = |rest: &[u8]| {
            rest.iter()
                .position(|&b| STOPS_STRING[usize::from(b)])
                .unwrap_or(rest.len())
        };
        // Every byte value at every position of a 19-byte run (two words and a tail), among
        // plain bytes of every kind (ASCII, UTF-8 lead and continuation bytes, DEL, 0xFF), and
        // with a quote right after it (which a word's borrow could misplace).
        let fillers: [&[u8]; 4] = [
            b"abcdefghijklmnopqrs",
            "é日本語😀xyzw".as_bytes(),
            &[0x7F; 19],
            &[0xFF; 19],
        ];
        for filler in fillers {
            let filler = &filler[..19];
            assert_eq!(plain_len(filler), 19);
            for at in 0..19 {
                for b in 0..=255u8 {
                    let mut run = filler.to_vec();
                    run[at] = b;
                    assert_eq!(plain_len(&run), by_table(&run), "{b:#x} at {at}");
                    if at + 1 < run.len() {
                        run[at + 1] = b'"';
                        assert_eq!(
                            plain_len(&run),
                            by_table(&run),
                            "{b:#x} at {at}, quote after"
                        );
                    }
                }
            }
        }
        assert_eq!(plain_len(b""), 0);
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
    fn kept_numbers_are_finite_exactly_where_f64_parsing_is() {
        let max = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
        let below = format!("{}1", &max[..max.len() - 1]);
        let cases = [
            "0", "-0", "0.0", "1e308", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623158079e308", "1.79769313486231580794e308", "1.797693134862315808e308",
            "-1.797693134862315808e308", "1e309", "0.1e310", "0.001e311", "10e307", "100e307",
            "1e-400", "0e99999999999999999999999", "1E+308", "2e308", "1e9999999999999999999999",
            "1e-9999999999999999999999", "0.000000001e317", max, &below,
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792.0",
            "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758720709633028641669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985557136695962284291481986083493647529271907416844436551070434271155969950809304288017790417449779.19",
        ];
        for text in cases {
            let body = format!(r#"{{"type":"k","_links":{{"x":{{"n":{text}}}}}}}"#);
            let expected = text.parse::<f64>().unwrap().is_finite();
            assert_eq!(user(&body).is_ok(), expected, "{text}");
        }
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
