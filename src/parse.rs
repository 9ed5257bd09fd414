//! The nom parser. One function per rule of the EBNF in `grammar.md`, named alike.
//!
//! Each operand and operator is read once, so nothing is ever re-parsed and parsing time is linear
//! in the input length. Nothing recurses: parenthesised groups are kept on an explicit stack (see
//! `or_expr`) and chains of `NOT` are read in a loop, so the call stack stays flat however deep the
//! input nests; the nesting cap ([`Options::max_depth`]) bounds the depth of the tree, which
//! code walking it (printing, comparing, dropping) recurses over. Errors are raised as
//! [`nom::Err::Failure`] carrying a [`Diagnostic`], so no alternative is tried after a committed
//! choice fails.

use std::cell::{Cell, RefCell};

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while};
use nom::character::complete::{char, multispace0, multispace1, satisfy};
use nom::combinator::{recognize, value};
use nom::error::{ErrorKind, ParseError};
use nom::multi::separated_list1;
use nom::{IResult, Parser};

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Field, Form, Predicate, Query, Term, Value};
use crate::error::{Code, Diagnostic, Diagnostics};
use crate::options::Options;
use crate::span::{Span, floor_boundary};

/// The default cap on nesting of parentheses and `NOT`.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// The largest nesting cap [`Options::max_depth`] accepts; larger values are lowered to it so
/// that no setting can make the parser (or code walking the tree) overflow the stack.
pub const MAX_DEPTH_LIMIT: usize = 1000;
/// The default cap on filter length in bytes (1 MiB).
pub const DEFAULT_MAX_LEN: usize = 1 << 20;

/// Parses a filter with the limits of `opts` ([`Options::max_depth`], [`Options::max_len`]).
///
/// ```
/// use fimql::{Options, parse_with};
/// let opts = Options::default().max_depth(4);
/// assert!(parse_with("((((action:Create))))", &opts).is_ok());
/// let err = parse_with("(((((action:Create)))))", &opts).unwrap_err();
/// assert_eq!(err.diagnostics()[0].code.as_str(), "too-deep");
/// ```
pub fn parse_with(src: &str, opts: &Options) -> Result<Query, Diagnostics> {
    Limits {
        max_depth: opts.max_depth.clamp(1, MAX_DEPTH_LIMIT),
        max_len: opts.max_len,
    }
    .parse(src)
}

struct Limits {
    max_depth: usize,
    max_len: usize,
}

impl Limits {
    fn parse(&self, src: &str) -> Result<Query, Diagnostics> {
        if src.len() > self.max_len {
            let d = Diagnostic::error(
                Code::TooLong,
                Span::new(floor_boundary(src, self.max_len), src.len()),
                format!(
                    "the filter is {} bytes long; the limit is {} bytes",
                    src.len(),
                    self.max_len
                ),
            )
            .with_help(
                "split the filter into several (a library caller can raise Options::max_len)",
            );
            return Err(Diagnostics(vec![d]));
        }
        let p = FilterParser {
            src,
            max_depth: self.max_depth,
            depth: Cell::new(0),
            recovered: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
        };
        let result = p.filter(src);
        let mut diags = std::mem::take(&mut *p.recovered.borrow_mut());
        match result {
            Ok((_, expr)) if diags.is_empty() => {
                let mut warnings = p.warnings.into_inner();
                warnings.sort_by_key(|d| d.span.start);
                Ok(Query { expr, warnings })
            }
            Ok(_) => {
                diags.sort_by_key(|d| d.span.start);
                Err(Diagnostics(diags))
            }
            Err(nom::Err::Failure(f) | nom::Err::Error(f)) => {
                diags.push(f.diag.unwrap_or_else(|| {
                    let at = src.len() - f.rest_len.min(src.len());
                    Diagnostic::error(Code::UnexpectedToken, Span::at(at), "unexpected input")
                }));
                diags.sort_by_key(|d| d.span.start);
                Err(Diagnostics(diags))
            }
            Err(nom::Err::Incomplete(_)) => Err(Diagnostics(vec![Diagnostic::error(
                Code::UnexpectedToken,
                Span::at(src.len()),
                "unexpected end of filter",
            )])),
        }
    }
}

/// Parses a filter with the default limits.
///
/// ```
/// let q = fimql::parse("action:Create AND severity>=4").unwrap();
/// assert_eq!(q.to_string(), "action:Create AND severity>=4");
/// ```
pub fn parse(src: &str) -> Result<Query, Diagnostics> {
    Limits {
        max_depth: DEFAULT_MAX_DEPTH,
        max_len: DEFAULT_MAX_LEN,
    }
    .parse(src)
}

/// The error carried through nom: where it happened and, for committed failures, the diagnostic.
#[derive(Debug)]
pub(crate) struct Failure {
    rest_len: usize,
    diag: Option<Diagnostic>,
}

impl ParseError<&str> for Failure {
    fn from_error_kind(input: &str, _kind: ErrorKind) -> Self {
        Failure {
            rest_len: input.len(),
            diag: None,
        }
    }

    fn append(_input: &str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type R<'a, T> = IResult<&'a str, T, Failure>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
}

/// `ws = { " " | "\t" | "\r" | "\n" }`
fn ws(i: &str) -> R<'_, &str> {
    multispace0(i)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// `keyword = AND | OR | NOT`: one of the three words, in any case, followed by a `boundary`,
/// which it does not take. This is the parser's one test for a keyword, wherever it looks for
/// `AND`, `OR` or `NOT`: after an operand (a bare, quoted, backtick or bracketed value, or a `)`),
/// before an operand, inside a value group, and where a bare value must not be a keyword. A word
/// that merely starts with one (`or*`, `AND-x`, `not\?`, `ORx`) is not a keyword.
fn keyword(i: &str) -> R<'_, Kw> {
    for (word, kw) in [("and", Kw::And), ("or", Kw::Or), ("not", Kw::Not)] {
        if let Some(head) = i.get(..word.len())
            && head.eq_ignore_ascii_case(word)
            && boundary(&i[word.len()..])
        {
            return Ok((&i[word.len()..], kw));
        }
    }
    Err(nom::Err::Error(Failure::from_error_kind(i, ErrorKind::Tag)))
}

/// `boundary = white | "(" | ")" | "[" | "]" | "," | ":" | '"' | "'" | "`" | ".." | EOF`: whether
/// `i` starts with what may follow a keyword. It is what ends a bare word (`ends_word`, `..`),
/// with `(` and `)` ending it whether or not they are balanced.
fn boundary(i: &str) -> bool {
    match i.chars().next() {
        None => true,
        Some(c) => ends_word(c) || c == '(' || c == ')' || i.starts_with(".."),
    }
}

/// If the word at `i` is a keyword's letters followed by a sign that is not a `boundary` (`or*`,
/// `AND-x`), those letters, for the help of a diagnostic. Words like `notes` or `ORx` are plainly
/// other words and get no such help.
fn keyword_prefix(i: &str) -> Option<&str> {
    ["and", "or", "not"].into_iter().find_map(|word| {
        let head = i.get(..word.len())?;
        let next = i[word.len()..].chars().next()?;
        let sign = !(next.is_alphanumeric() || next == '_' || next == '.');
        (head.eq_ignore_ascii_case(word) && sign && !boundary(&i[word.len()..])).then_some(head)
    })
}

/// The help for `word`, which starts with a keyword's `letters` but is not the keyword.
fn not_a_keyword_help(word: &str, letters: &str) -> String {
    format!(
        "`{word}` is one word, not the keyword `{}` (a keyword is a whole word); put a space after `{letters}` for the keyword, or quote the value",
        letters.to_ascii_uppercase()
    )
}

/// `ident = ( letter | "_" ) { letter | digit | "_" }`
fn ident(i: &str) -> R<'_, &str> {
    recognize((
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// `field = ident { "." ident }`
fn field(i: &str) -> R<'_, &str> {
    recognize(separated_list1(char('.'), ident)).parse(i)
}

/// `cmp = ">=" | "<=" | ">" | "<"`
fn cmp(i: &str) -> R<'_, CmpOp> {
    alt((
        value(CmpOp::Ge, tag(">=")),
        value(CmpOp::Le, tag("<=")),
        value(CmpOp::Gt, tag(">")),
        value(CmpOp::Lt, tag("<")),
    ))
    .parse(i)
}

/// Whether a term starts at `i`: a field name followed, after optional whitespace, by `:` or a
/// comparison operator.
fn starts_term(i: &str) -> bool {
    let Ok((rest, _)) = field(i) else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
    rest.starts_with(':') || rest.starts_with('<') || rest.starts_with('>')
}

/// Whether a bare word of this text would end at `c` (before looking at `..` and parentheses).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '[' | ']' | ',' | ':' | '"' | '\'' | '`')
}

/// One level of nesting while an expression is read: the whole filter, or one `( … )` group.
struct Level {
    /// The `(` that opened the group; `None` for the whole filter.
    open: Option<Span>,
    /// The complete operands of the level's OR (each an AND group or a single operand).
    ors: Vec<Expr>,
    /// The operands of the AND group being read.
    ands: Vec<Expr>,
    /// Where each `NOT` before the operand being read starts, outermost first.
    nots: Vec<usize>,
    /// Set when the operand being read follows the previous one with no operator: where the
    /// previous one ends and where this one starts.
    adjacent: Option<(usize, usize)>,
    /// Some AND group of this level joined two or more operands (for `mixed-and-or`).
    and_here: bool,
}

impl Level {
    fn new(open: Option<Span>) -> Self {
        Level {
            open,
            ors: Vec::new(),
            ands: Vec::new(),
            nots: Vec::new(),
            adjacent: None,
            and_here: false,
        }
    }

    /// Ends the AND group being read (at an `OR` or the end of the level).
    fn end_and(&mut self) {
        let ands = std::mem::take(&mut self.ands);
        self.and_here |= ands.len() > 1;
        self.ors.push(join(ands, true));
    }

    /// The level's expression, and whether it mixes AND and OR without parentheses.
    fn finish(mut self) -> (Expr, bool) {
        self.end_and();
        let mixed = self.and_here && self.ors.len() > 1;
        (join(self.ors, false), mixed)
    }
}

/// What `primary` read.
enum Primary {
    /// A `(`, with its span: a group starts.
    Open(Span),
    /// A term.
    Term(Expr),
}

/// What `and_expr` found after an operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// Another operand follows (after `AND`, `OR`, or nothing for two terms side by side).
    Operand,
    /// The level ends: `)` or the end of the filter follows.
    End,
}

struct FilterParser<'a> {
    src: &'a str,
    max_depth: usize,
    depth: Cell<usize>,
    recovered: RefCell<Vec<Diagnostic>>,
    warnings: RefCell<Vec<Diagnostic>>,
}

impl<'a> FilterParser<'a> {
    fn off(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    fn fail<T>(&self, d: Diagnostic) -> R<'a, T> {
        Err(nom::Err::Failure(Failure {
            rest_len: 0,
            diag: Some(d),
        }))
    }

    /// Adds to a syntax error at a `:` inside the value of the term starting at `term_start` (a
    /// range `dateTime:[2023-01-01T10:00..*]`) the help to quote its timestamps.
    fn time_hint(&self, e: nom::Err<Failure>, term_start: usize) -> nom::Err<Failure> {
        let nom::Err::Failure(Failure {
            rest_len,
            diag: Some(mut d),
        }) = e
        else {
            return e;
        };
        // More to the point than a general help the error may have.
        if d.code == Code::UnexpectedToken
            && self.src[d.span.start..].starts_with(':')
            && let Some(fixed) = self.quoted_times(term_start, d.span.start)
        {
            d = d.with_help(format!(
                "`:` ends a bare value: quote timestamps with a time: `{fixed}`"
            ));
        }
        nom::Err::Failure(Failure {
            rest_len,
            diag: Some(d),
        })
    }

    /// The term that starts at byte `start` and broke at the `:` at byte `at`, with its bare
    /// timestamps quoted (`dateTime>'2023-01-01T10:00:00Z'`), when a bare timestamp with a time
    /// ends at `at`. The term runs to the `]` after `at` when it has a `[`, otherwise to the next
    /// space or `)`.
    fn quoted_times(&self, start: usize, at: usize) -> Option<String> {
        let head = self.src.get(start..at)?;
        let tail = &self.src[at..];
        let end = if head.contains('[') {
            tail.find(']').map_or(self.src.len(), |k| at + k + 1)
        } else {
            tail.find(|c: char| c.is_whitespace() || c == ')')
                .map_or(self.src.len(), |k| at + k)
        };
        let text = &self.src[start..end];
        let (fixed, ends) = quote_times(text);
        ends.contains(&(at - start)).then_some(fixed)
    }

    /// The extent of the next token, for error spans: a word, a quoted string start, or one char.
    fn token_at(&self, i: &str) -> Span {
        let start = self.off(i);
        let len = match i.chars().next() {
            None => 0,
            Some(c) if is_word_char(c) => i.find(|c| !is_word_char(c)).unwrap_or(i.len()),
            Some(c) => c.len_utf8(),
        };
        Span::new(start, start + len)
    }

    /// The extent of the word at `i`, up to the first `boundary` (`\` escapes the next
    /// character), for error spans: the whole of `or*`, where `token_at` stops at the `*`. Where
    /// no word starts (a quote, a bracket), the next token.
    fn word_at(&self, i: &str) -> Span {
        let start = self.off(i);
        let mut end = i.len();
        let mut it = i.char_indices();
        while let Some((at, c)) = it.next() {
            if c == '\\' {
                it.next();
            } else if boundary(&i[at..]) {
                end = at;
                break;
            }
        }
        if end == 0 {
            return self.token_at(i);
        }
        Span::new(start, start + end)
    }

    fn enter(&self, at: Span) -> Result<(), nom::Err<Failure>> {
        let d = self.depth.get() + 1;
        if d > self.max_depth {
            return Err(nom::Err::Failure(Failure {
                rest_len: 0,
                diag: Some(
                    Diagnostic::error(
                        Code::TooDeep,
                        at,
                        format!(
                            "parentheses and NOT nest deeper than {} levels",
                            self.max_depth
                        ),
                    )
                    .with_help(
                        "simplify the filter (a library caller can raise Options::max_depth)",
                    ),
                ),
            }));
        }
        self.depth.set(d);
        Ok(())
    }

    fn leave(&self, n: usize) {
        self.depth.set(self.depth.get() - n);
    }

    /// `filter = ws or_expr ws EOF`
    fn filter(&self, i: &'a str) -> R<'a, Expr> {
        let (i, _) = ws(i)?;
        if i.is_empty() {
            return self.fail(
                Diagnostic::error(
                    Code::EmptyFilter,
                    Span::new(0, self.src.len()),
                    "the filter is empty",
                )
                .with_help("write at least one term, e.g. `action:Create`"),
            );
        }
        let (i, e) = self.or_expr(i)?;
        let (i, _) = ws(i)?;
        if i.starts_with(')') {
            return self.fail(
                Diagnostic::error(Code::UnexpectedToken, self.token_at(i), "unmatched `)`")
                    .with_help("remove it, or add the `(` it was meant to close"),
            );
        }
        if !i.is_empty() {
            return self.fail(Diagnostic::error(
                Code::UnexpectedToken,
                self.token_at(i),
                "expected `AND`, `OR` or the end of the filter",
            ));
        }
        Ok((i, e))
    }

    /// `or_expr = and_expr { OR and_expr }`, for the whole filter and for every parenthesised
    /// group in it.
    ///
    /// Groups are kept on an explicit stack of [`Level`]s instead of by recursion, so nesting
    /// costs heap, not call stack, whatever the depth cap: each round reads one operand (`unary`
    /// takes the `NOT`s before it, `primary` a `(` or a term); a `(` opens a level, a term goes to
    /// `and_expr`, which reads the operator after it; at the end of a level its `)` is checked and
    /// the group becomes an operand of the level around it.
    fn or_expr(&self, i: &'a str) -> R<'a, Expr> {
        let mut levels = vec![Level::new(None)];
        let mut i = i;
        loop {
            let level = levels
                .last_mut()
                .expect("the filter level is never popped here");
            let (j, ()) = self.unary(i, level)?;
            let (j, found) = self.primary(j)?;
            i = j;
            let mut operand = match found {
                Primary::Open(open) => {
                    levels.push(Level::new(Some(open)));
                    continue;
                }
                Primary::Term(e) => e,
            };
            loop {
                let level = levels.last_mut().expect("an operand belongs to a level");
                let (j, next) = self.and_expr(i, level, operand)?;
                i = j;
                if next == Next::Operand {
                    break;
                }
                let level = levels.pop().expect("the level just used");
                let open = level.open;
                let (e, mixed) = level.finish();
                if mixed {
                    self.warnings.borrow_mut().push(
                        Diagnostic::warning(
                            Code::MixedAndOr,
                            e.span,
                            "AND and OR are mixed without parentheses",
                        )
                        .with_help(format!(
                            "AND binds tighter than OR here, but Qualys does not document precedence; say what you mean with parentheses: `{e}`"
                        )),
                    );
                }
                let Some(open) = open else {
                    return Ok((i, e));
                };
                let Some(after) = i.strip_prefix(')') else {
                    return self.fail(
                        Diagnostic::error(Code::UnclosedParen, open, "this `(` is never closed")
                            .with_label(Span::at(self.off(i)), "expected `)` here")
                            .with_help("add the `)` where the group ends"),
                    );
                };
                self.leave(1);
                // The group's span covers its parentheses.
                operand = Expr {
                    span: Span::new(open.start, self.off(after)),
                    ..e
                };
                i = after;
            }
        }
    }

    /// `and_expr = unary { AND unary }`: adds an operand that has just been read to its level
    /// (with the `NOT`s before it) and reads what follows it: `AND` or `OR` and another operand,
    /// or the end of the level (`)` or the end of the filter).
    ///
    /// A term that follows another with no operator is reported (`missing-operator`, once it has
    /// been read) and read as if `AND` stood between them.
    fn and_expr(&self, i: &'a str, level: &mut Level, operand: Expr) -> R<'a, Next> {
        let mut e = operand;
        let nots = level.nots.len();
        while let Some(start) = level.nots.pop() {
            let span = Span::new(start, e.span.end);
            e = Expr {
                kind: ExprKind::Not(Box::new(e)),
                span,
            };
        }
        self.leave(nots);
        if let Some((gap, start)) = level.adjacent.take() {
            self.recovered.borrow_mut().push(
                Diagnostic::error(
                    Code::MissingOperator,
                    Span::new(start, self.off(i)),
                    "expected `AND` or `OR` between terms",
                )
                .with_label(Span::at(gap), "the previous term ends here")
                .with_help(format!(
                    "insert `AND` to require both terms (or `OR` for either): `... AND {}`",
                    snippet(&self.src[start..])
                )),
            );
        }
        level.ands.push(e);
        let (j, _) = ws(i)?;
        match keyword(j) {
            Ok((k, Kw::And)) => return Ok((k, Next::Operand)),
            Ok((k, Kw::Or)) => {
                level.end_and();
                return Ok((k, Next::Operand));
            }
            Ok((_, Kw::Not)) => {}
            Err(_) => match j.chars().next() {
                None | Some(')') => return Ok((j, Next::End)),
                Some('(') => {}
                Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                    if !starts_term(j) {
                        return self.fail(self.not_a_term(i, j));
                    }
                }
                Some(_) => {
                    let mut d = Diagnostic::error(
                        Code::UnexpectedToken,
                        self.token_at(j),
                        format!("expected `AND`, `OR` or `)`, found `{}`", snippet(j)),
                    );
                    if j.starts_with(':') {
                        let term_start = level.ands.last().map_or(self.off(i), |e| e.span.start);
                        d = d.with_help(match self.quoted_times(term_start, self.off(j)) {
                            Some(fixed) => format!(
                                "`:` ends a bare value: quote a timestamp with a time: `{fixed}`"
                            ),
                            None => "`:` ends a bare value: quote a value that contains one, e.g. a time: dateTime:'2023-01-01T10:00:00Z'".to_string(),
                        });
                    }
                    if j.starts_with("..") {
                        d = d.with_help(
                            "`..` ends a bare value; it only separates the bounds of a range `[a..b]`: quote a value that contains it, e.g. 'a..b'",
                        );
                    }
                    if d.help.is_none() {
                        d = d.with_help(
                            "join terms with `AND` or `OR`; a value that holds spaces is quoted: 'a b'",
                        );
                    }
                    return self.fail(d);
                }
            },
        }
        // Two terms side by side.
        level.adjacent = Some((self.off(i), self.off(j)));
        Ok((j, Next::Operand))
    }

    /// `missing-operator` for a word after a complete term (which ends at `i`) that starts like a
    /// field name but does not start a term (`or*`, `foo* x`, `severity=4`), at `j`: the
    /// diagnostic's span is the word.
    fn not_a_term(&self, i: &str, j: &str) -> Diagnostic {
        let span = self.word_at(j);
        let word = &self.src[span.start..span.end];
        let d = Diagnostic::error(
            Code::MissingOperator,
            span,
            format!("expected `AND`, `OR` or `)` after a term, found `{word}`"),
        )
        .with_label(Span::at(self.off(i)), "the previous term ends here");
        if let Some(letters) = keyword_prefix(j) {
            return d.with_help(not_a_keyword_help(word, letters));
        }
        let name = field(j).map_or("", |(_, name)| name);
        let after = ws(&j[name.len()..]).map_or("", |(after, _)| after);
        if after.starts_with('=') || after.starts_with("!=") {
            d.with_help(format!(
                "a term is written `{name}:value`; comparisons are `>`, `>=`, `<`, `<=`; join terms with `AND` or `OR`"
            ))
        } else {
            d.with_help(format!(
                "`{word}` is not a term: join terms with `AND` or `OR` (`... AND {name}:value`), or quote the value if the word belongs to it"
            ))
        }
    }

    /// `unary = NOT unary | primary`: reads the `NOT`s before an operand (in a loop), each
    /// counted against the depth cap; `and_expr` applies them once the operand is read.
    fn unary(&self, i: &'a str, level: &mut Level) -> R<'a, ()> {
        let mut i = i;
        loop {
            let (j, _) = ws(i)?;
            match keyword(j) {
                Ok((k, Kw::Not)) => {
                    let at = self.span(j, k);
                    self.enter(at)?;
                    level.nots.push(at.start);
                    i = k;
                }
                _ => return Ok((i, ())),
            }
        }
    }

    /// `primary = "(" or_expr ")" | term`: a `(` (counted against the depth cap; `or_expr` reads
    /// the group) or a term.
    fn primary(&self, i: &'a str) -> R<'a, Primary> {
        let (i, _) = ws(i)?;
        if let Some(rest) = i.strip_prefix('(') {
            let open = self.span(i, rest);
            self.enter(open)?;
            return Ok((rest, Primary::Open(open)));
        }
        if i.is_empty() {
            return self.fail(
                Diagnostic::error(
                    Code::ExpectedTerm,
                    Span::at(self.off(i)),
                    "expected a term, found the end of the filter",
                )
                .with_help("add a term such as `action:Create`, or remove the trailing operator"),
            );
        }
        if let Ok((_, k)) = keyword(i) {
            let name = match k {
                Kw::And => "AND",
                Kw::Or => "OR",
                Kw::Not => "NOT",
            };
            return self.fail(
                Diagnostic::error(
                    Code::ExpectedTerm,
                    self.token_at(i),
                    format!("expected a term, found `{name}`"),
                )
                .with_help("two operators in a row: remove one, or put a term between them"),
            );
        }
        if i.starts_with(')') {
            return self.fail(
                Diagnostic::error(
                    Code::ExpectedTerm,
                    self.token_at(i),
                    "expected a term, found `)`",
                )
                .with_help("put a term in the parentheses, or remove them"),
            );
        }
        let (rest, e) = self.term(i)?;
        Ok((rest, Primary::Term(e)))
    }

    /// `term = field ws ":" ws value_expr | field ws cmp ws scalar`
    fn term(&self, i: &'a str) -> R<'a, Expr> {
        let (rest, name) = match field(i) {
            Ok(ok) => ok,
            Err(_) => {
                // The span covers what the message quotes.
                let found = snippet(i);
                let at = self.off(i);
                let mut d = Diagnostic::error(
                    Code::ExpectedTerm,
                    Span::new(at, at + found.len()),
                    format!("expected a term like `field:value`, found `{found}`"),
                );
                match i.chars().next() {
                    Some('\'' | '"' | '`') => {
                        d = d.with_help(
                            "a value needs a field in front of it, e.g. `file.name:'report.txt'`",
                        );
                    }
                    Some('!' | '-') => {
                        d = d.with_help("NOT is written as a word: `NOT action:Create`");
                    }
                    Some('\u{feff}') => {
                        d = d.with_help(
                            "remove the byte order mark (an invisible U+FEFF) before the filter",
                        );
                    }
                    _ => {}
                }
                return self.fail(d);
            }
        };
        let field = Field {
            name: name.to_string(),
            span: self.span(i, rest),
        };
        let (j, _) = ws(rest)?;
        if let Some(k) = j.strip_prefix(':') {
            let (k, _) = ws(k)?;
            let (k, predicate) = match self.value_expr(k) {
                Ok(ok) => ok,
                Err(e) => return Err(self.time_hint(e, field.span.start)),
            };
            let span = field.span.to(predicate.span());
            return Ok((k, term_expr(field, predicate, span)));
        }
        if let Ok((k, op)) = cmp(j) {
            let (k, _) = ws(k)?;
            let (k, v) = self.scalar(k, false, "a comparison")?;
            if v.form == Form::Bare && v.raw == "*" {
                return self.fail(
                    Diagnostic::error(Code::ExpectedValue, v.span, "`*` is not a value to compare with")
                        .with_help(format!("to test that `{name}` is present write `{name}:*`; write `\\*` for a literal star")),
                );
            }
            let span = field.span.to(v.span);
            return Ok((k, term_expr(field, Predicate::Compare(op, v), span)));
        }
        let found = if j.is_empty() {
            "the end of the filter".to_string()
        } else {
            format!("`{}`", snippet(j))
        };
        let mut d = Diagnostic::error(
            Code::UnexpectedToken,
            self.token_at(j),
            format!("expected `:` or a comparison after `{name}`, found {found}"),
        )
        .with_label(field.span, "this looks like a field name");
        d = if let Some(letters) = keyword_prefix(i) {
            // `NOT* a:1`: a word, not `NOT`.
            let word = self.word_at(i);
            d.with_help(not_a_keyword_help(&self.src[word.start..word.end], letters))
        } else if j.starts_with('=') || j.starts_with("!=") {
            d.with_help(format!(
                "a term is written `{name}:value`; comparisons are `>`, `>=`, `<`, `<=`"
            ))
        } else {
            d.with_help(format!("write a term as `{name}:value`"))
        };
        self.fail(d)
    }

    /// `value_expr = bracket | value_group | scalar` (a bare `*` alone means presence)
    fn value_expr(&self, i: &'a str) -> R<'a, Predicate> {
        match i.chars().next() {
            Some('[') => self.bracket(i),
            Some('(') => self.value_group(i),
            _ => {
                let (j, v) = self.scalar(i, true, "a term")?;
                if v.form == Form::Bare && v.raw == "*" {
                    Ok((j, Predicate::Present(v.span)))
                } else {
                    Ok((j, Predicate::Value(v)))
                }
            }
        }
    }

    /// `bracket = range | list`, i.e.
    /// `"[" ws bound ws ".." ws bound ws "]"` or `"[" ws scalar { ws "," ws scalar } ws "]"`.
    fn bracket(&self, i: &'a str) -> R<'a, Predicate> {
        let open = &i[1..];
        let start = self.off(i);
        let (j, _) = ws(open)?;
        let (j, first) = self.bound(j)?;
        let (j, _) = ws(j)?;
        if let Some(k) = j.strip_prefix("..") {
            let (k, _) = ws(k)?;
            let (k, second) = self.bound(k)?;
            let (k, _) = ws(k)?;
            let (k, end) = self.close_bracket(start, k, "`]` to end the range")?;
            return Ok((k, Predicate::Range(first, second, Span::new(start, end))));
        }
        let mut values = vec![self.list_item(first)?];
        let mut j = j;
        loop {
            if let Some(k) = j.strip_prefix(',') {
                let (k, _) = ws(k)?;
                let (k, v) = self.scalar(k, false, "a list")?;
                values.push(self.list_item(star_or_value(v))?);
                let (k, _) = ws(k)?;
                j = k;
            } else {
                let what = if values.len() == 1 {
                    "`..`, `,` or `]`"
                } else {
                    "`,` or `]`"
                };
                let (k, end) = self.close_bracket(start, j, what)?;
                return Ok((k, Predicate::List(values, Span::new(start, end))));
            }
        }
    }

    fn close_bracket(&self, start: usize, j: &'a str, what: &str) -> R<'a, usize> {
        if let Some(k) = j.strip_prefix(']') {
            return Ok((k, self.off(k)));
        }
        if j.is_empty() {
            return self.fail(
                Diagnostic::error(
                    Code::UnclosedBracket,
                    Span::new(start, start + 1),
                    "this `[` is never closed",
                )
                .with_label(Span::at(self.off(j)), format!("expected {what} here"))
                .with_help("add the `]` after the last value"),
            );
        }
        self.fail(
            Diagnostic::error(
                Code::UnexpectedToken,
                self.token_at(j),
                format!("expected {what}, found `{}`", snippet(j)),
            )
            .with_help(if what.contains("range") {
                "a range has two ends, `[low..high]`; several values make a list: `[a, b]`"
            } else {
                "separate the values of a list with `,` (`[a, b]`), the ends of a range with `..` \
                 (`[1..5]`); quote a value that holds spaces: ['a b']"
            }),
        )
    }

    fn list_item(&self, b: Bound) -> Result<Value, nom::Err<Failure>> {
        match b {
            Bound::Value(v) => Ok(v),
            Bound::Open(span) => Err(nom::Err::Failure(Failure {
                rest_len: 0,
                diag: Some(
                    Diagnostic::error(Code::ExpectedValue, span, "`*` alone is not a value in a list")
                        .with_help("`*` means \"present\" only as `field:*`, or an open end of a range `[a..*]`; write `\\*` for a literal star"),
                ),
            })),
        }
    }

    /// `bound = "*" | scalar`
    fn bound(&self, i: &'a str) -> R<'a, Bound> {
        let (j, v) = self.scalar(i, false, "a range")?;
        Ok((j, star_or_value(v)))
    }

    /// `value_group = "(" ws scalar { ws OR ws scalar } ws ")"`
    fn value_group(&self, i: &'a str) -> R<'a, Predicate> {
        let start = self.off(i);
        let open = Span::new(start, start + 1);
        let (mut j, _) = ws(&i[1..])?;
        let mut values = Vec::new();
        loop {
            let (k, v) = self.scalar(j, true, "a value group")?;
            values.push(self.list_item(star_or_value(v))?);
            let (k, _) = ws(k)?;
            if let Some(m) = k.strip_prefix(')') {
                let end = self.off(m);
                return Ok((m, Predicate::Group(values, Span::new(start, end))));
            }
            match keyword(k) {
                Ok((m, Kw::Or)) => {
                    let (m, _) = ws(m)?;
                    j = m;
                }
                _ if k.is_empty() => {
                    return self.fail(
                        Diagnostic::error(Code::UnclosedParen, open, "this `(` is never closed")
                            .with_label(Span::at(self.off(k)), "expected `OR` or `)` here")
                            .with_help("add the `)` after the last value of the group"),
                    );
                }
                other => {
                    let span = self.word_at(k);
                    let mut d = Diagnostic::error(
                        Code::UnexpectedToken,
                        span,
                        format!(
                            "expected `OR` or `)` in a value group, found `{}`",
                            snippet(k)
                        ),
                    );
                    if matches!(other, Ok((_, Kw::And))) {
                        d = d.with_help(
                            "a value group `field:(a OR b)` only combines values with OR; to require several values write `field:a AND field:b`",
                        );
                    } else if let Some(letters) = keyword_prefix(k) {
                        d = d.with_help(not_a_keyword_help(
                            &self.src[span.start..span.end],
                            letters,
                        ));
                    }
                    return self.fail(d);
                }
            }
        }
    }

    /// `scalar = quoted | bare_words` (one `bare_word` inside brackets and after comparisons).
    fn scalar(&self, i: &'a str, many_words: bool, within: &str) -> R<'a, Value> {
        match i.chars().next() {
            Some(q @ ('\'' | '"' | '`')) => self.quoted(i, q),
            _ if many_words => self.bare_words(i, within),
            _ => {
                let (j, w) = self.bare_word(i)?;
                let v = self.bare_value(i, j, w, within)?;
                Ok((j, v))
            }
        }
    }

    /// A bare value of one word, checked: not empty and not a keyword.
    fn bare_value(
        &self,
        i: &'a str,
        j: &'a str,
        w: &str,
        within: &str,
    ) -> Result<Value, nom::Err<Failure>> {
        let span = self.span(i, j);
        let err = |d: Diagnostic| -> Result<Value, nom::Err<Failure>> {
            Err(nom::Err::Failure(Failure {
                rest_len: 0,
                diag: Some(d),
            }))
        };
        if w.is_empty() {
            let found = if i.is_empty() {
                "the end of the filter".to_string()
            } else {
                format!("`{}`", snippet(i))
            };
            let help = match within {
                "a list" => "a list holds values separated by commas, none of them empty: `[a, b]`",
                "a range" => "a range has a value at each end; `*` leaves an end open: `[4..*]`",
                "a value group" => "put values in the group: `action:(Create OR Delete)`",
                "a comparison" => "write a value after the operator: `severity>=4`",
                _ => {
                    "write a value after the `:`: `action:Create`; `field:*` tests that the field is present"
                }
            };
            return err(Diagnostic::error(
                Code::ExpectedValue,
                self.token_at(i),
                format!("expected a value in {within}, found {found}"),
            )
            .with_help(help));
        }
        if let Ok((after, _)) = keyword(i) {
            let kw = &i[..i.len() - after.len()];
            let help = if kw == w {
                format!("quote it to mean the word: '{w}'")
            } else {
                // `or(x)`: the keyword ends at the `(`.
                format!("the word starts with the keyword `{kw}`; quote it to mean the word: '{w}'")
            };
            return err(Diagnostic::error(
                Code::ExpectedValue,
                self.span(i, after),
                format!("`{kw}` is a keyword, not a value"),
            )
            .with_help(help));
        }
        Ok(Value {
            form: Form::Bare,
            raw: w.to_string(),
            span,
        })
    }

    /// `bare_words = bare_word { ws1 bare_word }`: after `field:`, a bare value runs over several
    /// words and stops before a keyword, a word followed by `:` or a comparison (the next term), a
    /// word starting with `(`, or anything that is not a word.
    fn bare_words(&self, i: &'a str, within: &str) -> R<'a, Value> {
        let (mut rest, w) = self.bare_word(i)?;
        let mut v = self.bare_value(i, rest, w, within)?;
        while let Ok((j, _)) = multispace1::<&str, Failure>(rest) {
            if j.starts_with('(') {
                break;
            }
            let (k, w) = self.bare_word(j)?;
            if w.is_empty() || keyword(j).is_ok() {
                break;
            }
            let (after, _) = ws(k)?;
            if after.starts_with(':') || after.starts_with('<') || after.starts_with('>') {
                break;
            }
            if let Ok((tail, _)) = field(w)
                && (tail.starts_with('<') || tail.starts_with('>'))
            {
                break;
            }
            v.raw.push(' ');
            v.raw.push_str(w);
            v.span.end = self.off(k);
            rest = k;
        }
        Ok((rest, v))
    }

    /// `bare_word`: characters up to whitespace, one of `[ ] , : " ' `` ` ``, `..`, or a `)` that
    /// closes nothing opened in the word; `\` escapes the next character. Parentheses balanced
    /// inside the word belong to it; an unbalanced `(` ends it.
    fn bare_word(&self, i: &'a str) -> R<'a, &'a str> {
        let mut opens: Vec<usize> = Vec::new();
        let mut end = i.len();
        let mut it = i.char_indices().peekable();
        while let Some((at, c)) = it.next() {
            match c {
                '\\' => {
                    let escaped = it.next();
                    if escaped.is_none() {
                        let s = self.off(i) + at;
                        return self.fail(
                            Diagnostic::error(
                                Code::DanglingEscape,
                                Span::new(s, s + 1),
                                "a `\\` at the end of the filter escapes nothing",
                            )
                            .with_help("write `\\\\` for a literal backslash, or quote the value"),
                        );
                    }
                }
                '(' => opens.push(at),
                ')' => {
                    let closes_nothing = opens.pop().is_none();
                    if closes_nothing {
                        end = at;
                        break;
                    }
                }
                '.' if i[at + 1..].starts_with('.') => {
                    end = at;
                    break;
                }
                c if ends_word(c) => {
                    end = at;
                    break;
                }
                _ => {}
            }
        }
        if let Some(&first_open) = opens.first() {
            end = first_open;
        }
        Ok((&i[end..], &i[..end]))
    }

    /// `quoted = "'" chars "'" | '"' chars '"' | "`" chars "`"` where `\` before the quote or `\`
    /// escapes it.
    fn quoted(&self, i: &'a str, q: char) -> R<'a, Value> {
        let start = self.off(i);
        let body = &i[1..];
        let mut it = body.char_indices();
        let mut escaped_quote_at_end = false;
        let mut first_escaped_quote = None;
        while let Some((at, c)) = it.next() {
            if c == '\\' {
                let mut peek = it.clone();
                match peek.next() {
                    Some((_, n)) if n == q || n == '\\' => {
                        escaped_quote_at_end = n == q;
                        if n == q && first_escaped_quote.is_none() {
                            first_escaped_quote = Some(at);
                        }
                        it = peek;
                    }
                    _ => escaped_quote_at_end = false,
                }
                continue;
            }
            escaped_quote_at_end = false;
            if c == q {
                let raw = &body[..at];
                let rest = &body[at + 1..];
                let span = Span::new(start, self.off(rest));
                if raw.is_empty() {
                    return self.fail(
                        Diagnostic::error(Code::ExpectedValue, span, "empty value").with_help(
                            "an empty value matches nothing; use `NOT field:*` for a missing field",
                        ),
                    );
                }
                let form = match q {
                    '`' => Form::Backtick,
                    '"' => Form::Double,
                    _ => Form::Single,
                };
                return Ok((
                    rest,
                    Value {
                        form,
                        raw: raw.to_string(),
                        span,
                    },
                ));
            }
        }
        let mut d = Diagnostic::error(
            Code::UnterminatedString,
            Span::new(start, self.src.len()),
            format!("this {q}-quoted value is never closed"),
        );
        d = if escaped_quote_at_end {
            d.with_help(format!(
                "the `\\` before the last `{q}` escapes it; to end a value with a backslash write `\\\\{q}`"
            ))
        } else if let Some(at) = first_escaped_quote {
            // `"C:\temp\" AND ...`: the value was meant to end at the escaped quote.
            let at = start + 1 + at;
            d.with_label(
                Span::new(at, at + 1 + q.len_utf8()),
                format!("this `{q}` is escaped by the `\\` before it, so the value goes on"),
            )
            .with_help(format!(
                "to end a value with a backslash write `\\\\{q}`; otherwise add the closing `{q}`"
            ))
        } else {
            d.with_help(format!("add the closing `{q}`"))
        };
        self.fail(d)
    }
}

/// A bare `*` alone is an open end (or, after `field:`, presence); anything else is a value.
fn star_or_value(v: Value) -> Bound {
    if v.form == Form::Bare && v.raw == "*" {
        Bound::Open(v.span)
    } else {
        Bound::Value(v)
    }
}

fn term_expr(field: Field, predicate: Predicate, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Term(Term {
            field,
            predicate,
            span,
        }),
        span,
    }
}

/// Builds an n-ary AND (`and`) or OR from operands, flattening operands of the same kind.
fn join(items: Vec<Expr>, and: bool) -> Expr {
    let joined = if and {
        Expr::and(items)
    } else {
        Expr::or(items)
    };
    // A level always holds an operand: an empty one is an error before it gets here.
    joined.expect("a level holds at least one operand")
}

/// A short excerpt of the input for messages.
fn snippet(i: &str) -> String {
    let w: String = i
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(24)
        .collect();
    if w.is_empty() {
        i.chars().take(1).collect()
    } else {
        w
    }
}

/// `text` with each bare timestamp with a time (`2023-01-01T10:00:00Z`, outside quotes) put in
/// single quotes, and the byte offsets in `text` where the first bare word of each ends (where a
/// bare value breaks at its first `:`).
fn quote_times(text: &str) -> (String, Vec<usize>) {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    let mut breaks = Vec::new();
    let (mut i, mut last) = (0, 0);
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if matches!(c, b'\'' | b'"' | b'`') {
            quote = Some(c);
            i += 1;
            continue;
        }
        // A timestamp starts a word: after a separator, or after the `..` of a range.
        let boundary = i == 0
            || !(b[i - 1].is_ascii_alphanumeric()
                || matches!(b[i - 1], b'-' | b'_')
                || (b[i - 1] == b'.' && (i < 2 || b[i - 2] != b'.')));
        if boundary && let Some((len, first_colon)) = timestamp_len(&b[i..]) {
            out.push_str(&text[last..i]);
            out.push('\'');
            out.push_str(&text[i..i + len]);
            out.push('\'');
            breaks.push(i + first_colon);
            i += len;
            last = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    (out, breaks)
}

/// The length of the timestamp with a time at the start of `b` (`YYYY-M-DTH…`, up to `..` or a
/// byte that cannot be part of it), and the offset of its first `:`.
fn timestamp_len(b: &[u8]) -> Option<(usize, usize)> {
    let digits = |from: usize, min: usize, max: usize| -> Option<usize> {
        let n = b[from.min(b.len())..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        (n >= min).then_some(from + n)
    };
    let i = digits(0, 4, 4)?;
    let i = (b.get(i) == Some(&b'-')).then_some(i + 1)?;
    let i = digits(i, 1, 2)?;
    let i = (b.get(i) == Some(&b'-')).then_some(i + 1)?;
    let i = digits(i, 1, 2)?;
    let i = (matches!(b.get(i), Some(b'T' | b't'))).then_some(i + 1)?;
    let mut j = digits(i, 1, 2)?;
    while j < b.len()
        && (b[j].is_ascii_digit() || matches!(b[j], b':' | b'.' | b'+' | b'-' | b'Z' | b'z'))
        && !(b[j] == b'.' && b.get(j + 1) == Some(&b'.'))
    {
        j += 1;
    }
    let colon = b[..j].iter().position(|&c| c == b':')?;
    Some((j, colon))
}
