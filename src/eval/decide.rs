//! The early answer: what is known of the filter's value while an event is read, when some terms
//! are known and the others not yet (three-valued, Kleene, evaluation). [`known`] walks the tree;
//! [`Products`] answers the same from a few mask tests, for filters small enough.

use crate::compile::Node;

/// What is known of a term's or an expression's value while an event is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    True,
    False,
    Unknown,
}

/// The value of `node` if it is the same whatever the terms not known yet turn out to be; `term`
/// tells what is known of each term, by id.
pub(crate) fn known(node: &Node, term: &impl Fn(usize) -> Known) -> Known {
    match node {
        Node::And(xs) | Node::Or(xs) => {
            // AND: false as soon as one is false; OR: true as soon as one is true.
            let (stop, rest) = match node {
                Node::And(_) => (Known::False, Known::True),
                _ => (Known::True, Known::False),
            };
            let mut all = true;
            for x in xs {
                match known(x, term) {
                    Known::Unknown => all = false,
                    v if v == stop => return stop,
                    _ => {}
                }
            }
            if all { rest } else { Known::Unknown }
        }
        Node::Not(x) => match known(x, term) {
            Known::True => Known::False,
            Known::False => Known::True,
            Known::Unknown => Known::Unknown,
        },
        Node::Term(t) => term(t.id),
    }
}

/// The filter in two sums of products over term bits, for filters small enough: `yes` holds the
/// products (as `(terms true, terms false)` masks) of the filter in negation normal form,
/// multiplied out, and `no` those of its negation. Under partial knowledge, some product of `yes`
/// is satisfied exactly when three-valued (Kleene) evaluation gives true, and some product of
/// `no` exactly when it gives false: the same answers as [`known`], from a few mask tests instead
/// of a walk over the tree. With every term known, it is the filter's value.
#[derive(Clone, Debug)]
pub(crate) struct Products {
    yes: Vec<(u64, u64)>,
    no: Vec<(u64, u64)>,
}

/// The most products [`Products`] keeps per side; beyond, the tree is walked.
const MAX_PRODUCTS: usize = 64;

impl Products {
    /// `None` when a term id is 64 or more or a side would exceed [`MAX_PRODUCTS`].
    pub(crate) fn build(root: &Node) -> Option<Products> {
        Some(Products {
            yes: sum_of_products(root, false)?,
            no: sum_of_products(root, true)?,
        })
    }

    /// The filter's value when the terms in `t` are known true and those in `f` known false.
    #[inline]
    pub(crate) fn known(&self, t: u64, f: u64) -> Known {
        let holds = |&(p, n): &(u64, u64)| p & !t == 0 && n & !f == 0;
        if self.yes.iter().any(holds) {
            Known::True
        } else if self.no.iter().any(holds) {
            Known::False
        } else {
            Known::Unknown
        }
    }
}

/// The products of `node` (negated when `neg`) in negation normal form, multiplied out.
fn sum_of_products(node: &Node, neg: bool) -> Option<Vec<(u64, u64)>> {
    match node {
        Node::Term(t) => {
            let bit = 1u64.checked_shl(u32::try_from(t.id).ok()?)?;
            Some(vec![if neg { (0, bit) } else { (bit, 0) }])
        }
        Node::Not(x) => sum_of_products(x, !neg),
        Node::And(xs) | Node::Or(xs) => {
            // AND, or OR negated (De Morgan): the product of the parts' sums.
            if matches!(node, Node::And(_)) != neg {
                let mut out = vec![(0, 0)];
                for x in xs {
                    let part = sum_of_products(x, neg)?;
                    let mut next = Vec::new();
                    for &(p, n) in &out {
                        for &(q, m) in &part {
                            if next.len() == MAX_PRODUCTS {
                                return None;
                            }
                            next.push((p | q, n | m));
                        }
                    }
                    out = next;
                }
                Some(out)
            } else {
                let mut out = Vec::new();
                for x in xs {
                    out.extend(sum_of_products(x, neg)?);
                    if out.len() > MAX_PRODUCTS {
                        return None;
                    }
                }
                Some(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Scope, compile};

    /// Three-valued (Kleene) evaluation of `node`, `value[id]` giving each term.
    fn kleene(node: &Node, value: &[Known]) -> Known {
        match node {
            Node::Term(t) => value[t.id],
            Node::Not(x) => match kleene(x, value) {
                Known::True => Known::False,
                Known::False => Known::True,
                Known::Unknown => Known::Unknown,
            },
            Node::And(xs) | Node::Or(xs) => {
                let and = matches!(node, Node::And(_));
                let (stop, rest) = if and {
                    (Known::False, Known::True)
                } else {
                    (Known::True, Known::False)
                };
                let vs: Vec<Known> = xs.iter().map(|x| kleene(x, value)).collect();
                if vs.contains(&stop) {
                    stop
                } else if vs.contains(&Known::Unknown) {
                    Known::Unknown
                } else {
                    rest
                }
            }
        }
    }

    #[test]
    fn products_agree_with_three_valued_evaluation() {
        let filters = [
            "action:Create",
            "NOT action:Create",
            "action:Create AND type:File OR NOT (platform:LINUX OR severity>=3)",
            "NOT (action:Create AND NOT (type:File OR platform:LINUX)) AND severity:1",
            "(action:Create OR type:File) AND (platform:LINUX OR severity>=3) AND NOT file.name:x",
            "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR \
             (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)) \
             AND NOT (platform:LINUX AND type:Directory) \
             AND (action:Content OR NOT actor.userName:SYSTEM)",
        ];
        for f in filters {
            let filter = compile(f, &Options::new(Scope::Events)).unwrap();
            let p = Products::build(&filter.root).expect("small enough");
            let n = filter.terms;
            // Every assignment of true, false or unknown to the terms.
            for code in 0..3usize.pow(n as u32) {
                let (mut value, mut t, mut fl, mut c) = (Vec::new(), 0u64, 0u64, code);
                for i in 0..n {
                    value.push(match c % 3 {
                        0 => Known::Unknown,
                        1 => {
                            t |= 1 << i;
                            Known::True
                        }
                        _ => {
                            fl |= 1 << i;
                            Known::False
                        }
                    });
                    c /= 3;
                }
                let want = kleene(&filter.root, &value);
                assert!(p.known(t, fl) == want, "{f}: {code}");
                assert!(known(&filter.root, &|id| value[id]) == want, "{f}: {code}");
            }
        }
    }

    #[test]
    fn large_filters_walk_the_tree() {
        // 2^7 products once multiplied out: more than the masks are kept for.
        let f = (0..7)
            .map(|i| format!("(file.name:a{i} OR actor.process:t{i})"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let filter = compile(&f, &Options::new(Scope::Events)).unwrap();
        assert!(Products::build(&filter.root).is_none());
        let big = (0..70)
            .map(|i| format!("file.name:n{i}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let filter = compile(&big, &Options::new(Scope::Events)).unwrap();
        assert!(Products::build(&filter.root).is_none());
        // Both still answer.
        let mut m = filter.matcher();
        assert_eq!(m.matches_json(br#"{"data":{"name":"N69"}}"#), Ok(true));
        assert_eq!(m.matches_json(br#"{"data":{"name":"N70"}}"#), Ok(false));
    }
}
