//! The spanned syntax tree of a filter.
//!
//! The tree keeps what the user wrote: field names as written (aliases are not resolved), values
//! in their quoting form with their raw text (escapes included), and a byte [`Span`] on every node.
//! `AND` and `OR` are n-ary and parentheses are not nodes: `a AND (b AND c)` is one `And` of three.
//! Compare trees without their spans with [`Expr::eq_ignoring_spans`].

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// A parsed filter: the root expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The root of the tree.
    pub expr: Expr,
    /// Warnings that only the parser can see, because the tree does not keep parentheses:
    /// `mixed-and-or` (AND and OR at one level without parentheses). Validation reports them with
    /// its own findings. Not part of [`Query::eq_ignoring_spans`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::error::Diagnostic>,
}

impl From<Expr> for Query {
    fn from(expr: Expr) -> Self {
        Query {
            expr,
            warnings: Vec::new(),
        }
    }
}

impl Query {
    /// Whether two queries are equal when spans are ignored.
    pub fn eq_ignoring_spans(&self, other: &Query) -> bool {
        self.expr.eq_ignoring_spans(&other.expr)
    }

    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Query {
        let mut q = self.clone();
        q.expr.clear_spans();
        q.warnings.clear();
        q
    }
}

/// A boolean expression with its span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// From the first byte of the first operand (or `NOT`) to the last byte of the last operand;
    /// an expression written in parentheses covers them.
    pub span: Span,
}

/// The kinds of boolean expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExprKind {
    /// Any of two or more operands.
    Or(Vec<Expr>),
    /// All of two or more operands.
    And(Vec<Expr>),
    /// The negation of the operand.
    Not(Box<Expr>),
    /// One `field:value` or `field>=bound` term.
    Term(Term),
}

impl Expr {
    /// Whether two expressions are equal when spans are ignored.
    pub fn eq_ignoring_spans(&self, other: &Expr) -> bool {
        match (&self.kind, &other.kind) {
            (ExprKind::Or(a), ExprKind::Or(b)) | (ExprKind::And(a), ExprKind::And(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_spans(y))
            }
            (ExprKind::Not(a), ExprKind::Not(b)) => a.eq_ignoring_spans(b),
            (ExprKind::Term(a), ExprKind::Term(b)) => a.eq_ignoring_spans(b),
            _ => false,
        }
    }

    /// Sets every span in the tree to `0..0`.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter_mut().for_each(Expr::clear_spans),
            ExprKind::Not(x) => x.clear_spans(),
            ExprKind::Term(t) => t.clear_spans(),
        }
    }

    /// Calls `f` on every term, left to right.
    pub fn for_each_term<'a>(&'a self, f: &mut impl FnMut(&'a Term)) {
        match &self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter().for_each(|x| x.for_each_term(f)),
            ExprKind::Not(x) => x.for_each_term(f),
            ExprKind::Term(t) => f(t),
        }
    }

    /// The depth of the tree: 1 for a term, one more for each level of `NOT`, `AND` or `OR`.
    pub fn depth(&self) -> usize {
        match &self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => {
                1 + xs.iter().map(Expr::depth).max().unwrap_or(0)
            }
            ExprKind::Not(x) => 1 + x.depth(),
            ExprKind::Term(_) => 1,
        }
    }

    /// The `AND` of `items`, in the shape the parser gives: an operand that is itself an `AND`
    /// gives its operands, one item comes back as it is, and the span runs from the first item's
    /// to the last one's. `None` for no items.
    ///
    /// ```
    /// use fimql::{Expr, parse};
    /// let a = parse("action:Create AND severity:4").unwrap().expr;
    /// let b = parse("platform:LINUX").unwrap().expr;
    /// let both = Expr::and([a, b]).unwrap();
    /// assert_eq!(both.to_string(), "action:Create AND severity:4 AND platform:LINUX");
    /// ```
    pub fn and(items: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        Expr::join(items, true)
    }

    /// The `OR` of `items`, flattened like [`Expr::and`].
    pub fn or(items: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        Expr::join(items, false)
    }

    fn join(items: impl IntoIterator<Item = Expr>, and: bool) -> Option<Expr> {
        let mut items = items.into_iter();
        let first = items.next()?;
        let Some(second) = items.next() else {
            // One operand is itself, as the parser gives it; nothing to allocate.
            return Some(first);
        };
        let mut span = first.span;
        let mut flat = Vec::with_capacity(2 + items.size_hint().0);
        for e in [first, second].into_iter().chain(items) {
            span = span.to(e.span);
            match e.kind {
                ExprKind::And(xs) if and => flat.extend(xs),
                ExprKind::Or(xs) if !and => flat.extend(xs),
                kind => flat.push(Expr { kind, span: e.span }),
            }
        }
        let kind = if and {
            ExprKind::And(flat)
        } else {
            ExprKind::Or(flat)
        };
        Some(Expr { kind, span })
    }
}

/// A token name as written, e.g. `file.attribute.readOnly`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The dotted name, exactly as written.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// `field:value_expr` or `field cmp bound`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// The token.
    pub field: Field,
    /// What the token's value must satisfy.
    pub predicate: Predicate,
    /// From the field to the end of the value.
    pub span: Span,
}

impl Term {
    fn eq_ignoring_spans(&self, other: &Term) -> bool {
        self.field.name == other.field.name && self.predicate.eq_ignoring_spans(&other.predicate)
    }

    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.field.span = Span::default();
        self.predicate.clear_spans();
    }
}

/// The right-hand side of a term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Predicate {
    /// `field:*`: present and not null. The span covers the `*`.
    Present(Span),
    /// `field:value`.
    Value(Value),
    /// `field:[a, b]`: any of the values. The span covers the brackets.
    List(Vec<Value>, Span),
    /// `field:(a OR b)`: any of the values, like a list. The span covers the parentheses.
    Group(Vec<Value>, Span),
    /// `field:[lo..hi]`, both ends inclusive. The span covers the brackets.
    Range(Bound, Bound, Span),
    /// `field>=value` and the other comparisons.
    Compare(CmpOp, Value),
}

impl Predicate {
    /// The span of the whole right-hand side (for a comparison, its value).
    pub fn span(&self) -> Span {
        match self {
            Predicate::Present(s)
            | Predicate::List(_, s)
            | Predicate::Group(_, s)
            | Predicate::Range(_, _, s) => *s,
            Predicate::Value(v) | Predicate::Compare(_, v) => v.span,
        }
    }

    /// The values it holds, in order (open range ends excluded).
    pub fn values(&self) -> Vec<&Value> {
        match self {
            Predicate::Present(_) => Vec::new(),
            Predicate::Value(v) | Predicate::Compare(_, v) => vec![v],
            Predicate::List(vs, _) | Predicate::Group(vs, _) => vs.iter().collect(),
            Predicate::Range(lo, hi, _) => [lo, hi].into_iter().filter_map(Bound::value).collect(),
        }
    }

    fn eq_ignoring_spans(&self, other: &Predicate) -> bool {
        fn vals(a: &[Value], b: &[Value]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_spans(y))
        }
        match (self, other) {
            (Predicate::Present(_), Predicate::Present(_)) => true,
            (Predicate::Value(a), Predicate::Value(b)) => a.eq_ignoring_spans(b),
            (Predicate::List(a, _), Predicate::List(b, _)) => vals(a, b),
            (Predicate::Group(a, _), Predicate::Group(b, _)) => vals(a, b),
            (Predicate::Range(a1, a2, _), Predicate::Range(b1, b2, _)) => {
                a1.eq_ignoring_spans(b1) && a2.eq_ignoring_spans(b2)
            }
            (Predicate::Compare(o1, a), Predicate::Compare(o2, b)) => {
                o1 == o2 && a.eq_ignoring_spans(b)
            }
            _ => false,
        }
    }

    fn clear_spans(&mut self) {
        match self {
            Predicate::Present(s) => *s = Span::default(),
            Predicate::Value(v) | Predicate::Compare(_, v) => v.span = Span::default(),
            Predicate::List(vs, s) | Predicate::Group(vs, s) => {
                *s = Span::default();
                vs.iter_mut().for_each(|v| v.span = Span::default());
            }
            Predicate::Range(lo, hi, s) => {
                *s = Span::default();
                lo.clear_spans();
                hi.clear_spans();
            }
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CmpOp {
    /// The operator as written: `>`, `>=`, `<`, `<=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// One end of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// `*`: no limit on this side. The span covers the `*`.
    Open(Span),
    /// A value.
    Value(Value),
}

impl Bound {
    /// The value, unless the bound is open.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Bound::Open(_) => None,
            Bound::Value(v) => Some(v),
        }
    }

    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            Bound::Open(s) => *s,
            Bound::Value(v) => v.span,
        }
    }

    fn eq_ignoring_spans(&self, other: &Bound) -> bool {
        match (self, other) {
            (Bound::Open(_), Bound::Open(_)) => true,
            (Bound::Value(a), Bound::Value(b)) => a.eq_ignoring_spans(b),
            _ => false,
        }
    }

    fn clear_spans(&mut self) {
        match self {
            Bound::Open(s) => *s = Span::default(),
            Bound::Value(v) => v.span = Span::default(),
        }
    }
}

/// How a value was written; this decides how it matches (`language.md` section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// ``Added``: exact, case-sensitive.
    Backtick,
    /// `"Windows"`: case-insensitive substring (a phrase).
    Double,
    /// `'Windows'`: the same as double quotes.
    Single,
    /// `Create`, `DESKTOP*`: case-insensitive whole value; `*` and `?` are wildcards.
    Bare,
}

impl Form {
    /// The quote character, if any.
    pub const fn quote(self) -> Option<char> {
        match self {
            Form::Backtick => Some('`'),
            Form::Double => Some('"'),
            Form::Single => Some('\''),
            Form::Bare => None,
        }
    }

    /// Whether the value is quoted (single, double or backtick).
    pub const fn is_quoted(self) -> bool {
        !matches!(self, Form::Bare)
    }
}

/// A value as written.
///
/// `raw` is the text between the quotes (or the bare word(s)) with its escapes, exactly as written,
/// except that the words of a multi-word bare value are joined by single spaces. Use
/// [`Value::text`] for the unescaped text and [`Value::pattern`] for the pieces of a bare value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Value {
    /// The quoting form.
    pub form: Form,
    /// The written text, escapes included, quotes excluded.
    pub raw: String,
    /// Where it was written, quotes included.
    pub span: Span,
}

/// A piece of a bare value's pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Literal(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

impl Value {
    /// A value of `form` that means exactly `text`, escaped as needed.
    ///
    /// For quoted forms every string is representable. For [`Form::Bare`], every character that
    /// would end the word or act as a wildcard (`*`, `?`) is escaped with `\`, so the value is a
    /// literal; an empty text gives an empty raw value, which does not parse (use a quoted form).
    ///
    /// ```
    /// use fimql::ast::{Form, Value};
    /// let v = Value::new(Form::Double, r#"C:\temp\"#);
    /// assert_eq!(v.raw, r#"C:\temp\\"#);
    /// assert_eq!(v.text(), r#"C:\temp\"#);
    /// ```
    pub fn new(form: Form, text: &str) -> Value {
        Value {
            form,
            raw: escape(form, text),
            span: Span::default(),
        }
    }

    /// A bare value with the raw text as given (`*` and `?` stay wildcards).
    pub fn bare(raw: impl Into<String>) -> Value {
        Value {
            form: Form::Bare,
            raw: raw.into(),
            span: Span::default(),
        }
    }

    /// Whether two values are equal when spans are ignored.
    pub fn eq_ignoring_spans(&self, other: &Value) -> bool {
        self.form == other.form && self.raw == other.raw
    }

    /// The value with escapes removed. For a bare value, `\*` becomes `*` just like `*`; use
    /// [`Value::pattern`] where the difference matters.
    pub fn text(&self) -> String {
        match self.form.quote() {
            Some(q) => unescape_quoted(&self.raw, q),
            None => {
                let mut out = String::with_capacity(self.raw.len());
                let mut chars = self.raw.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }

    /// Whether a bare value holds an unescaped `*` or `?`.
    pub fn has_wildcards(&self) -> bool {
        self.form == Form::Bare
            && self
                .pattern()
                .iter()
                .any(|p| matches!(p, Piece::Star | Piece::One))
    }

    /// The pieces of the value: for a bare value, literals split by unescaped `*` and `?`; for a
    /// quoted value, one literal.
    pub fn pattern(&self) -> Vec<Piece> {
        if self.form.is_quoted() {
            return vec![Piece::Literal(self.text())];
        }
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        lit.push(n);
                    }
                }
                '*' | '?' => {
                    if !lit.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut lit)));
                    }
                    pieces.push(if c == '*' { Piece::Star } else { Piece::One });
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Literal(lit));
        }
        pieces
    }
}

/// Removes the escapes of a quoted value: `\q` and `\\` stand for `q` and `\`; `\` before anything
/// else is kept.
pub(crate) fn unescape_quoted(raw: &str, q: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n) if n == q || n == '\\' => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The raw text that means `text` in `form`, with as few escapes as possible.
fn escape(form: Form, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    match form.quote() {
        Some(q) => {
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if c == q {
                    out.push('\\');
                    out.push(c);
                } else if c == '\\' {
                    // A backslash must be doubled when what follows would otherwise combine with it.
                    match chars.peek() {
                        None => out.push_str("\\\\"),
                        Some(&n) if n == q || n == '\\' => out.push_str("\\\\"),
                        Some(_) => out.push('\\'),
                    }
                } else {
                    out.push(c);
                }
            }
        }
        None => {
            let keyword = ["and", "or", "not"]
                .iter()
                .any(|k| text.eq_ignore_ascii_case(k));
            let mut chars = text.chars().peekable();
            let mut first = true;
            while let Some(c) = chars.next() {
                let dots = c == '.' && matches!(chars.peek(), Some('.') | None);
                if (first && keyword)
                    || dots
                    || c.is_whitespace()
                    || c.is_control()
                    || matches!(
                        c,
                        '\\' | '*'
                            | '?'
                            | '('
                            | ')'
                            | '['
                            | ']'
                            | ','
                            | ':'
                            | '"'
                            | '\''
                            | '`'
                            | '<'
                            | '>'
                    )
                {
                    out.push('\\');
                }
                out.push(c);
                first = false;
            }
        }
    }
    out
}
