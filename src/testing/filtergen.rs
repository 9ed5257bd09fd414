//! Random filters from the catalog, for differential tests (the SQL translations against
//! [`crate::Filter::matches`]). Deterministic from a seed; every filter compiles.
//!
//! Values come from a sample of events (so that terms match some events) mixed with strings made
//! to stress escaping (quotes, backslashes, `%`, `_`, `!`, `$`, line breaks, non-ASCII).

use std::collections::BTreeMap;

use chrono::{SecondsFormat, TimeDelta};
use serde_json::Value as Json;

use crate::ast::{Form, Value};
use crate::catalog::{Catalog, Scope, TokenDef, TokenType};
use crate::compile::compile_query;
use crate::date::{Instant, parse_event_date};
use crate::eval::{Leaf, event_root, walk};
use crate::options::Options;

/// A small deterministic random generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p` percent.
    pub fn chance(&mut self, p: u32) -> bool {
        self.below(100) < p as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Values seen at each token's path in a sample of events.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    values: BTreeMap<String, Vec<String>>,
}

impl Samples {
    /// Collects up to 40 distinct values per token of `scope` from `events`.
    pub fn from_events(catalog: &Catalog, scope: Scope, events: &[Json]) -> Self {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in catalog.tokens(scope) {
            let path: Vec<String> = t.segments().iter().map(|(k, _)| k.to_string()).collect();
            let list = values.entry(t.name.clone()).or_default();
            for ev in events {
                walk(event_root(ev), &path, &mut |leaf| {
                    let text = match leaf {
                        Leaf::Str(s) => Some(s.to_string()),
                        Leaf::Int(i) => Some(i.to_string()),
                        Leaf::Bool(b) => Some(b.to_string()),
                        _ => None,
                    };
                    if let Some(x) = text
                        && list.len() < 40
                        && !list.contains(&x)
                        && !x.is_empty()
                    {
                        list.push(x);
                    }
                    false
                });
            }
        }
        Samples { values }
    }

    fn of(&self, token: &str) -> &[String] {
        self.values.get(token).map_or(&[], Vec::as_slice)
    }
}

/// Strings that stress escaping and case folding.
const ODD: &[&str] = &[
    "50%_off",
    "a_b",
    "it's",
    "say \"hi\"",
    "back\\slash",
    "C:\\temp\\",
    "!bang!",
    "${env:HOME}",
    "$x",
    "line\nbreak",
    "tab\there",
    "Ünïcödé",
    "İstanbul",
    "istanbul-pc",
    "I",
    "i̇",
    "kelvin k",
    "STRASSE ß",
    "日本語",
    "emoji 😀",
    "KELVIN \u{212A}",
    "semi;colon",
    "-- comment",
    "/* c */",
    "a..b",
    "AND",
    "or",
    "x:y",
    "(paren)",
    "[br]",
];

/// A filter generator for one scope of a catalog.
pub struct FilterGen<'a> {
    rng: Rng,
    catalog: &'a Catalog,
    scope: Scope,
    samples: &'a Samples,
    now: Instant,
    opts: Options,
}

impl<'a> FilterGen<'a> {
    /// A generator; `now` is the clock filters are compiled with (and `now±N` near it).
    pub fn new(
        seed: u64,
        catalog: &'a Catalog,
        scope: Scope,
        samples: &'a Samples,
        now: Instant,
    ) -> Self {
        FilterGen {
            rng: Rng::new(seed),
            catalog,
            scope,
            samples,
            now,
            opts: Options::new(scope).catalog(catalog.clone()).now(now),
        }
    }

    /// The next filter that compiles.
    pub fn next_filter(&mut self) -> String {
        loop {
            let depth = self.rng.below(4);
            let f = self.expr(depth);
            let Ok(q) = crate::parse(&f) else { continue };
            if compile_query(&q, &self.opts).is_ok() {
                return f;
            }
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.chance(30) {
            return self.term();
        }
        match self.rng.below(5) {
            0 => format!("NOT {}", self.paren(depth - 1)),
            k => {
                let op = if k % 2 == 0 { "AND" } else { "OR" };
                let n = 2 + self.rng.below(2);
                let parts: Vec<String> = (0..n).map(|_| self.paren(depth - 1)).collect();
                parts.join(&format!(" {op} "))
            }
        }
    }

    fn paren(&mut self, depth: usize) -> String {
        let e = self.expr(depth);
        if e.contains(' ') { format!("({e})") } else { e }
    }

    fn term(&mut self) -> String {
        let tokens = self.catalog.tokens(self.scope);
        let t: &TokenDef = self.rng.pick(tokens);
        let mut name = t.name.clone();
        if !t.aliases.is_empty() && self.rng.chance(20) {
            name = self.rng.pick(&t.aliases).clone();
        }
        if self.rng.chance(8) {
            return format!("{name}:*");
        }
        let pred = match t.ty {
            TokenType::Text | TokenType::Keyword | TokenType::Enum => self.text_pred(t),
            TokenType::Integer => self.int_pred(t),
            TokenType::Boolean => self.bool_pred(),
            TokenType::Date => self.date_pred(t),
        };
        format!("{name}{pred}")
    }

    fn base_text(&mut self, t: &TokenDef) -> String {
        let seen = self.samples.of(&t.name);
        if !seen.is_empty() && self.rng.chance(80) {
            return self.rng.pick(seen).clone();
        }
        if !t.values.is_empty() && self.rng.chance(60) {
            return self.rng.pick(&t.values).clone();
        }
        self.rng.pick(ODD).to_string()
    }

    fn recase(&mut self, s: &str) -> String {
        match self.rng.below(4) {
            0 => s.to_uppercase(),
            1 => s.to_lowercase(),
            _ => s.to_string(),
        }
    }

    fn slice(&mut self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() < 3 {
            return s.to_string();
        }
        let a = self.rng.below(chars.len() / 2);
        let b = a + 1 + self.rng.below(chars.len() - a);
        chars[a..b.min(chars.len())].iter().collect()
    }

    fn wildcard(&mut self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let esc = |x: &str| Value::new(Form::Bare, x).raw;
        match self.rng.below(5) {
            0 => {
                let k = 1 + self.rng.below(chars.len().max(1));
                format!(
                    "{}*",
                    esc(&chars[..k.min(chars.len())].iter().collect::<String>())
                )
            }
            1 => {
                let k = self.rng.below(chars.len().max(1));
                format!("*{}", esc(&chars[k..].iter().collect::<String>()))
            }
            2 => format!("*{}*", esc(&self.slice(s))),
            3 => {
                // Replace one character with `?`.
                let i = self.rng.below(chars.len().max(1));
                let before: String = chars[..i.min(chars.len())].iter().collect();
                let after: String = chars
                    .get(i + 1..)
                    .map_or(String::new(), |c| c.iter().collect());
                format!("{}?{}", esc(&before), esc(&after))
            }
            _ => {
                let k = chars.len() / 2;
                let a: String = chars[..k].iter().collect();
                let b: String = chars[k..].iter().collect();
                format!("{}*?{}", esc(&a), esc(&b))
            }
        }
    }

    fn text_value(&mut self, t: &TokenDef) -> String {
        let base = self.base_text(t);
        match self.rng.below(6) {
            0 => Value::new(Form::Backtick, &base).to_string(),
            1 => {
                let x = self.recase(&base);
                let x = self.slice(&x);
                Value::new(Form::Double, &x).to_string()
            }
            2 => {
                let x = self.recase(&base);
                Value::new(Form::Single, &x).to_string()
            }
            3 | 4 => {
                let x = self.recase(&base);
                self.wildcard(&x)
            }
            _ => {
                let x = self.recase(&base);
                Value::new(Form::Bare, &x).to_string()
            }
        }
    }

    fn text_pred(&mut self, t: &TokenDef) -> String {
        match self.rng.below(8) {
            0 => {
                let n = 2 + self.rng.below(2);
                let vs: Vec<String> = (0..n).map(|_| self.text_value(t)).collect();
                format!(":[{}]", vs.join(", "))
            }
            1 => {
                let a = self.text_value(t);
                let b = self.text_value(t);
                format!(":({a} OR {b})")
            }
            _ => format!(":{}", self.text_value(t)),
        }
    }

    fn int_value(&mut self, t: &TokenDef) -> i64 {
        let seen = self.samples.of(&t.name);
        let n = if !seen.is_empty() && self.rng.chance(80) {
            self.rng.pick(seen).parse().unwrap_or(3)
        } else {
            self.rng.below(8) as i64 - 1
        };
        match self.rng.below(6) {
            0 => n + 1,
            1 => n - 1,
            _ => n,
        }
    }

    fn int_pred(&mut self, t: &TokenDef) -> String {
        let a = self.int_value(t);
        let b = self.int_value(t);
        let (lo, hi) = (a.min(b), a.max(b));
        match self.rng.below(9) {
            0 => format!(":[{lo}..{hi}]"),
            1 => format!(":[*..{hi}]"),
            2 => format!(":[{lo}..*]"),
            3 => format!(">{a}"),
            4 => format!(">={a}"),
            5 => format!("<{a}"),
            6 => format!("<={a}"),
            7 => format!(":[{a}, {b}]"),
            _ => {
                if self.rng.chance(30) {
                    format!(":'{a}'")
                } else {
                    format!(":{a}")
                }
            }
        }
    }

    fn bool_pred(&mut self) -> String {
        let v = *self.rng.pick(&["true", "false", "TRUE", "False"]);
        match self.rng.below(4) {
            0 => format!(":'{v}'"),
            1 => ":[true, false]".to_string(),
            _ => format!(":{v}"),
        }
    }

    fn instant(&mut self, t: &TokenDef) -> Instant {
        let seen = self.samples.of(&t.name);
        let base = if !seen.is_empty() && self.rng.chance(85) {
            parse_event_date(self.rng.pick(seen).as_str()).unwrap_or(self.now)
        } else {
            self.now
        };
        let shift = match self.rng.below(6) {
            0 => 0,
            1 => 1,
            2 => -1,
            3 => self.rng.below(86_400_000) as i64 - 43_200_000,
            _ => (self.rng.below(200) as i64 - 100) * 86_400_000,
        };
        base + TimeDelta::milliseconds(shift)
    }

    fn date_value(&mut self, t: &TokenDef) -> (String, bool) {
        if self.rng.chance(12) {
            let unit = *self.rng.pick(&["s", "m", "h", "d", "w", "M", "y"]);
            let sign = if self.rng.chance(80) { "-" } else { "+" };
            let n = self.rng.below(400);
            let word = if self.rng.chance(20) { "NOW" } else { "now" };
            return (format!("{word}{sign}{n}{unit}"), false);
        }
        let at = self.instant(t);
        let text = match self.rng.below(7) {
            0 => at.format("%Y-%m-%d").to_string(),
            1 => at.to_rfc3339_opts(SecondsFormat::Millis, true),
            2 => at
                .with_timezone(&chrono::FixedOffset::east_opt(19_800).expect("a valid offset"))
                .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                .to_string(),
            3 => at.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            4 => at.format("%Y-%m-%dT%H:%M").to_string(),
            5 => at.timestamp_millis().max(0).to_string(),
            _ => at
                .with_timezone(&chrono::FixedOffset::west_opt(3_600).expect("a valid offset"))
                .format("%Y-%m-%dT%H:%M:%S%.9f%z")
                .to_string(),
        };
        let digits = text.bytes().all(|b| b.is_ascii_digit());
        (format!("'{text}'"), digits)
    }

    fn date_pred(&mut self, t: &TokenDef) -> String {
        let (a, _) = self.date_value(t);
        let (b, _) = self.date_value(t);
        match self.rng.below(8) {
            0 | 1 => format!(":[{a}..{b}]"),
            2 => format!(":[*..{b}]"),
            3 => format!(":[{a}..*]"),
            4 => format!(">{a}"),
            5 => format!("<={a}"),
            6 => format!(":[{a}, {b}]"),
            _ => format!(":{a}"),
        }
    }
}
