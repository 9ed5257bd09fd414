//! Why one event matched a filter, or did not: [`Filter::explain`].
//!
//! The explanation is made by the same code as [`Filter::matches`]: each term walks its path in
//! the event with the evaluator's walker and tests each value found with the evaluator's test, so
//! the two cannot disagree. Unlike `matches`, every node is evaluated (no short cut), so that each
//! has a verdict to show.

use std::fmt::{self, Write};

use serde::Serialize;
use serde_json::Value as Json;

use crate::catalog::TokenType;
use crate::compile::{CTerm, Filter, Node};
use crate::eval::{Scratch, event_root, leaf_of, leaf_passes, walk_values};
use crate::span::Span;

/// How many values found at a term's path an explanation lists; the rest are counted
/// ([`TermExplanation::more_values`]). When no listed value passed but a later one did, that one is
/// listed too, so that a true term always shows a value that made it true.
pub const MAX_VALUES: usize = 8;

/// Why an event matched a filter, or did not: the filter's tree with each node's verdict, and at
/// each term the values found at its JSON path. Made by [`Filter::explain`]; its
/// [`matched`](Explanation::matched) is always what [`Filter::matches`] says.
///
/// Serialized (serde) as `{"matched": bool, "applies_to": "data"|"event", "tree": node}`, where a
/// node is `{"kind": "and"|"or"|"not"|"term", "verdict": bool, "decided_by": index (optional),
/// "children": [node...]}` and a term node adds the fields of [`TermExplanation`].
///
/// ```
/// use fimql::{Options, Scope, compile};
/// let f = compile("action:Create AND NOT profiles.rules.name:*CR_*", &Options::new(Scope::Events))?;
/// let event = serde_json::json!({"data": {
///     "action": "Create",
///     "profiles": [{"rules": [{"name": "Web root"}, {"name": "CR_System32"}]}]
/// }});
/// let why = f.explain(&event);
/// assert_eq!(why.matched(), f.matches(&event));
/// assert!(!why.matched());
///
/// // The AND failed because of its second part, the NOT, whose term held on the second rule name.
/// let and = &why.tree;
/// assert_eq!(and.decided_by, Some(1));
/// let term = and.children[1].children[0].term.as_ref().unwrap();
/// assert_eq!(term.path, "profiles.rules.name");
/// assert_eq!(term.values[1].value, "CR_System32");
/// assert!(term.values[1].passed);
///
/// // As text, one node per line, and as JSON.
/// assert!(why.render().contains("✗ false  AND (all of)"));
/// let json = serde_json::to_value(&why).unwrap();
/// assert_eq!(json["matched"], false);
/// assert_eq!(json["tree"]["children"][0]["values"][0]["value"], "Create");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// Whether the event matched the filter.
    pub matched: bool,
    /// What the filter applied to: the event's `data` member, or the event itself.
    pub applies_to: AppliesTo,
    /// The filter's tree, with verdicts.
    pub tree: NodeExplanation,
}

impl Explanation {
    /// Whether the event matched the filter: the root's verdict, always equal to
    /// [`Filter::matches`] on the same event.
    pub fn matched(&self) -> bool {
        self.matched
    }

    /// The tree as text, one node per line: a mark and a word for each verdict (`✓ true`,
    /// `✗ false`), `← decides` after the part that decided its parent, and under each term the
    /// values found at its path with the mark of each, or `missing`. A first line says so when
    /// the event has no `data` object, and the paths were read in the event itself.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.applies_to == AppliesTo::Event {
            out.push_str("(no `data` object: the paths are read in the event itself)\n");
        }
        render_node(&self.tree, "", "", false, &mut out);
        out
    }
}

/// What a filter applies to in an event (`grammar.md`, "How values match").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AppliesTo {
    /// The event's `data` member, an object (a search-response element).
    Data,
    /// The event itself (it has no `data` object).
    Event,
}

/// The kind of a node of the filter's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NodeKind {
    /// True when all its children are.
    And,
    /// True when any of its children is.
    Or,
    /// True when its one child is false (a missing field included).
    Not,
    /// A term: [`NodeExplanation::term`] says more.
    Term,
}

/// One node of an explained filter tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NodeExplanation {
    /// AND, OR, NOT or a term.
    pub kind: NodeKind,
    /// Whether the node holds for the event.
    pub verdict: bool,
    /// The index in [`children`](Self::children) of the child that decided the verdict: the first
    /// false child of a false AND, the first true child of a true OR, the child of a NOT. `None`
    /// for a true AND and a false OR (every child counted) and for a term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<usize>,
    /// The children of AND, OR (two or more) and NOT (one); empty for a term.
    pub children: Vec<NodeExplanation>,
    /// What the term found, for a term node.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub term: Option<TermExplanation>,
}

/// What a term found in the event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TermExplanation {
    /// The term in canonical form, e.g. `action:Create`.
    pub term: String,
    /// The token as written in the filter (an alias stays an alias).
    pub token: String,
    /// The token's type (an unknown token read as a raw path is text).
    #[serde(rename = "type")]
    pub ty: TokenType,
    /// The JSON path read, keys joined by `.`; arrays are crossed at any level.
    pub path: String,
    /// Where the term is in the filter text (byte offsets).
    pub span: Span,
    /// In words, what a value must be for the term to hold, e.g. `any value at the path (any
    /// array element) equals "create", ignoring case`.
    pub rule: String,
    /// The values found at the path, in document order, with whether each passed the term's
    /// test: the first [`MAX_VALUES`], and the first that passed if it comes later.
    pub values: Vec<SeenValue>,
    /// How many values found are not in [`values`](Self::values).
    pub more_values: usize,
    /// Nothing was found at the path (no member, or only empty arrays on the way). A `null` is
    /// a value found (that passes no test).
    pub missing: bool,
}

/// A value found at a term's path.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SeenValue {
    /// The value, as in the event.
    pub value: Json,
    /// Whether it passed the term's test.
    pub passed: bool,
}

impl Filter {
    /// Why `event` matches this filter, or does not: each node's verdict and, at each term, the
    /// values found at its path. The root's verdict is always [`Filter::matches`]`(event)`: both
    /// walk the paths and test the values with the same code. See [`Explanation`] for an example.
    ///
    /// For a record as raw bytes, parse it with serde_json first; [`Filter::matches_json`] on the
    /// same bytes gives the error `fimql filter` reports when it is not one JSON object.
    pub fn explain(&self, event: &Json) -> Explanation {
        let root = event_root(event);
        let applies_to = if std::ptr::eq(root, event) {
            AppliesTo::Event
        } else {
            AppliesTo::Data
        };
        let mut scratch = Scratch::default();
        let tree = self.explain_node(&self.root, root, &mut scratch);
        Explanation {
            matched: tree.verdict,
            applies_to,
            tree,
        }
    }

    fn explain_node(&self, node: &Node, root: &Json, scratch: &mut Scratch) -> NodeExplanation {
        let branch = |kind, verdict, decided_by, children| NodeExplanation {
            kind,
            verdict,
            decided_by,
            children,
            term: None,
        };
        match node {
            Node::And(xs) | Node::Or(xs) => {
                let and = matches!(node, Node::And(_));
                let children: Vec<NodeExplanation> = xs
                    .iter()
                    .map(|x| self.explain_node(x, root, scratch))
                    .collect();
                // A false child decides an AND, a true one an OR.
                let decided_by = children.iter().position(|c| c.verdict != and);
                let verdict = if and {
                    decided_by.is_none()
                } else {
                    decided_by.is_some()
                };
                let kind = if and { NodeKind::And } else { NodeKind::Or };
                branch(kind, verdict, decided_by, children)
            }
            Node::Not(x) => {
                let child = self.explain_node(x, root, scratch);
                branch(NodeKind::Not, !child.verdict, Some(0), vec![child])
            }
            Node::Term(t) => self.explain_term(t, root, scratch),
        }
    }

    fn explain_term(&self, t: &CTerm, root: &Json, scratch: &mut Scratch) -> NodeExplanation {
        let path = &self.paths[t.path];
        let mut values = Vec::new();
        let mut found = 0usize;
        let mut verdict = false;
        walk_values(root, path, &mut |v| {
            found += 1;
            let passed = leaf_passes(&t.test, leaf_of(v), scratch);
            // The first values, and the first that passed when none listed did.
            if values.len() < MAX_VALUES || (passed && !verdict) {
                values.push(SeenValue {
                    value: v.clone(),
                    passed,
                });
            }
            verdict |= passed;
            false
        });
        let label = &self.labels[t.id];
        NodeExplanation {
            kind: NodeKind::Term,
            verdict,
            decided_by: None,
            children: Vec::new(),
            term: Some(TermExplanation {
                term: label.text.clone(),
                token: label.token.clone(),
                ty: label.ty,
                path: path.join("."),
                span: label.span,
                rule: label.rule.clone(),
                more_values: found - values.len(),
                missing: found == 0,
                values,
            }),
        }
    }
}

/// The widest a value is shown in [`Explanation::render`], in characters.
const SHOW_WIDTH: usize = 100;

fn verdict_mark(v: bool) -> &'static str {
    if v { "✓ true " } else { "✗ false" }
}

fn render_node(n: &NodeExplanation, first: &str, rest: &str, decides: bool, out: &mut String) {
    let label = match (&n.kind, &n.term) {
        (NodeKind::And, _) => "AND (all of)".to_string(),
        (NodeKind::Or, _) => "OR (any of)".to_string(),
        (NodeKind::Not, _) => "NOT".to_string(),
        (_, Some(t)) => one_line(&t.term),
        (_, None) => String::new(),
    };
    let arrow = if decides { "  ← decides" } else { "" };
    let _ = writeln!(out, "{first}{}  {label}{arrow}", verdict_mark(n.verdict));
    if let Some(t) = &n.term {
        let _ = write!(out, "{rest}      {}: ", t.path);
        if t.missing {
            out.push_str("missing");
        }
        for (i, v) in t.values.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{} {}",
                Shown(&v.value),
                if v.passed { "✓" } else { "✗" }
            );
        }
        if t.more_values > 0 {
            let _ = write!(
                out,
                " (and {} more value{})",
                t.more_values,
                if t.more_values == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
    for (i, child) in n.children.iter().enumerate() {
        let last = i + 1 == n.children.len();
        let (branch, cont) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        // The NOT's child always decides it; say so only where there was a choice.
        let decides = n.kind != NodeKind::Not && n.decided_by == Some(i);
        render_node(
            child,
            &format!("{rest}{branch}"),
            &format!("{rest}{cont}"),
            decides,
            out,
        );
    }
}

/// Text with its control characters escaped (`\n`, `\u{1b}`), so that it stays on one line, and
/// its bidirectional format characters (`\u{202e}`), so that it reads as it is.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || crate::error::is_bidi_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as compact JSON, cut at [`SHOW_WIDTH`] characters.
struct Shown<'a>(&'a Json);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // JSON escapes control characters; bidirectional format characters are escaped too.
        let mut text = self.0.to_string();
        if text.chars().any(crate::error::is_bidi_format) {
            text = text
                .chars()
                .map(|c| {
                    if crate::error::is_bidi_format(c) {
                        format!("\\u{:04x}", u32::from(c))
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        }
        match text.char_indices().nth(SHOW_WIDTH) {
            Some((cut, _)) => write!(f, "{}…", &text[..cut]),
            None => f.write_str(&text),
        }
    }
}
