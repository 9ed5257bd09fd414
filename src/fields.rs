//! Fields of events to show: names resolved against the catalog of a scope, the values found at
//! their paths, and those values as the text of a table cell or as JSON.
//!
//! A field is named like a token of the scope (`asset.name`, `file.fullPath`), by an alias
//! (`profile.name`), or, when [`Options::allow_unknown`] is set, by a raw JSON path of keys joined
//! with `.` (`asset.system.lastBoot`). Its values are found the way a filter finds them: in the
//! event's `data` object when it has one (a search-response element), crossing arrays at any
//! level, so `profiles.rules.name` gives the name of every rule of every profile. `null`s count as
//! missing.
//!
//! ```
//! use fimql::fields::{self, Field};
//! use fimql::{Options, Scope};
//!
//! let opts = Options::new(Scope::Events);
//! let list = fields::parse_list("dateTime,asset.name,profiles.rules.name", &opts)?;
//! let event = serde_json::json!({"data": {
//!     "dateTime": "2023-01-25T21:06:31.867+0000",
//!     "asset": {"name": "LAPTOP-519BC4B"},
//!     "profiles": [{"rules": [{"name": "Registry Run keys"}, {"name": "User temp dirs"}]}]
//! }});
//! let cells: Vec<String> = list.iter().map(|f| f.cell(&event)).collect();
//! assert_eq!(cells, ["2023-01-25T21:06:31.867+0000", "LAPTOP-519BC4B", "Registry Run keys; User temp dirs"]);
//!
//! // An unknown name is an `unknown-token` diagnostic, with a did-you-mean.
//! let err = Field::resolve("asset.nmae", &opts).unwrap_err();
//! assert_eq!(err.code.as_str(), "unknown-token");
//! assert_eq!(err.help.as_deref(), Some("did you mean `asset.name`?"));
//! # Ok::<(), fimql::Diagnostics>(())
//! ```

use serde_json::Value as Json;

use crate::Options;
use crate::catalog::{Scope, TokenType};
use crate::error::{Code, Diagnostic, Diagnostics};
use crate::eval::{event_root, walk_values};
use crate::span::Span;
use crate::suggest::closest;

/// What joins the values of a field that has several (a path that crosses arrays) in one cell.
pub const SEPARATOR: &str = "; ";

/// The fields shown when none are chosen: for events `dateTime`, `action`, `severity`,
/// `asset.name` and `file.fullPath`; for incidents `createdDate`, `name`, `status`,
/// `approvalStatus` and `type`.
///
/// ```
/// use fimql::{Options, Scope, fields};
/// let shown = fields::default_fields(Scope::Incidents);
/// assert_eq!(shown[0], "createdDate");
/// // Every default is a token of its scope.
/// for scope in Scope::ALL {
///     let opts = Options::new(scope);
///     assert!(fields::default_fields(scope).iter().all(|f| fields::Field::resolve(f, &opts).is_ok()));
/// }
/// ```
pub fn default_fields(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::Events => &[
            "dateTime",
            "action",
            "severity",
            "asset.name",
            "file.fullPath",
        ],
        Scope::Incidents => &["createdDate", "name", "status", "approvalStatus", "type"],
    }
}

/// One field to show: its name as given, the token it stands for (if any) and the JSON path it
/// reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    name: String,
    token: Option<(String, TokenType)>,
    path: Vec<String>,
    repeated: bool,
}

impl Field {
    /// Resolves a name in the scope of `opts`: a token or an alias of its catalog, else (with
    /// [`Options::allow_unknown`]) a raw JSON path. An unknown name is an `unknown-token` error
    /// whose span covers the name, with the closest names of the scope as help.
    ///
    /// ```
    /// use fimql::{Options, Scope, fields::Field};
    /// let f = Field::resolve("file.fullPath", &Options::new(Scope::Events))?;
    /// assert_eq!(f.path(), ["fullPath"]);
    /// let raw = Field::resolve("asset.system.lastBoot", &Options::new(Scope::Events).allow_unknown(true))?;
    /// assert_eq!((raw.token(), raw.path().len()), (None, 3));
    /// # Ok::<(), fimql::Diagnostic>(())
    /// ```
    pub fn resolve(name: &str, opts: &Options) -> Result<Field, Diagnostic> {
        let scope = opts.scope;
        if let Some(def) = opts.catalog.lookup(scope, name) {
            let segments = def.segments();
            return Ok(Field {
                name: name.to_string(),
                token: Some((def.name.clone(), def.ty)),
                path: segments.iter().map(|(k, _)| k.to_string()).collect(),
                repeated: segments.iter().any(|&(_, array)| array),
            });
        }
        if opts.allow_unknown && !name.is_empty() {
            return Ok(Field {
                name: name.to_string(),
                token: None,
                path: name.split('.').map(str::to_string).collect(),
                repeated: false,
            });
        }
        Err(unknown(name, opts))
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The canonical name of the token the field stands for; `None` for a raw path.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|(n, _)| n.as_str())
    }

    /// The type of the token; `None` for a raw path.
    pub fn ty(&self) -> Option<TokenType> {
        self.token.as_ref().map(|&(_, ty)| ty)
    }

    /// The keys of the JSON path the field reads, from the event (or its `data` object).
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// The non-null values at the field's path in `event` (a bare event or a search-response
    /// element), in document order; arrays are crossed, so none of them is an array.
    pub fn values<'a>(&self, event: &'a Json) -> Vec<&'a Json> {
        let mut out = Vec::new();
        walk_values(event_root(event), &self.path, &mut |v| {
            if !v.is_null() {
                out.push(v);
            }
            false
        });
        out
    }

    /// The field's values as the text of one cell: empty when there are none; a string as it is,
    /// a number or boolean as its JSON text, an object as compact JSON; several values joined by
    /// [`SEPARATOR`].
    ///
    /// ```
    /// use fimql::{Options, Scope, fields::Field};
    /// let f = Field::resolve("asset.tags", &Options::new(Scope::Events))?;
    /// assert_eq!(f.cell(&serde_json::json!({"asset": {"tags": ["85", 91]}})), "85; 91");
    /// assert_eq!(f.cell(&serde_json::json!({"asset": {"tags": null}})), "");
    /// # Ok::<(), fimql::Diagnostic>(())
    /// ```
    pub fn cell(&self, event: &Json) -> String {
        let mut out = String::new();
        for (i, v) in self.values(event).into_iter().enumerate() {
            if i > 0 {
                out.push_str(SEPARATOR);
            }
            push_text(&mut out, v);
        }
        out
    }

    /// The field's value as JSON, for output that keeps types: `null` when there is none; an
    /// array of the values when the path crosses an array (in the catalog's path of the token, or
    /// in this event); else the value itself.
    ///
    /// ```
    /// use fimql::{Options, Scope, fields::Field};
    /// let opts = Options::new(Scope::Events);
    /// let event = serde_json::json!({"severity": 4, "profiles": [{"name": "PCI"}]});
    /// assert_eq!(Field::resolve("severity", &opts)?.json(&event), 4);
    /// assert_eq!(Field::resolve("profile.name", &opts)?.json(&event), serde_json::json!(["PCI"]));
    /// assert_eq!(Field::resolve("asset.name", &opts)?.json(&event), serde_json::Value::Null);
    /// # Ok::<(), fimql::Diagnostic>(())
    /// ```
    pub fn json(&self, event: &Json) -> Json {
        let values = self.values(event);
        match values.as_slice() {
            [] => Json::Null,
            [one] if !self.repeated && !crosses_array(event_root(event), &self.path) => {
                (*one).clone()
            }
            _ => Json::Array(values.into_iter().cloned().collect()),
        }
    }
}

/// Reads from the bytes of a record only what a set of fields needs: the values at their paths
/// (arrays along the way kept as arrays); the other members are skipped without being kept (their
/// JSON syntax is checked, the UTF-8 of their strings is not). Cheaper than parsing the whole
/// event when it is large and the fields are few; the fields give the same values and cells on
/// the result as on the whole event. `fimql filter` uses it on records the filter has read
/// already.
///
/// ```
/// use fimql::fields::{self, Projection};
/// use fimql::{Options, Scope};
///
/// let list = fields::parse_list("asset.name,profiles.rules.name", &Options::new(Scope::Events))?;
/// let projection = Projection::new(&list);
/// let record = br#"{"sortValues":[1],"data":{"asset":{"name":"web1","os":"Linux"},"oldContent":"...",
///     "profiles":[{"name":"PCI","rules":[{"name":"r1","id":7}]}]}}"#;
/// let event = projection.parse(record).unwrap();
/// assert_eq!(event, serde_json::json!({"data": {"asset": {"name": "web1"}, "profiles": [{"rules": [{"name": "r1"}]}]}}));
/// assert_eq!(list[1].cell(&event), "r1");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Projection {
    root: Node,
}

/// The keys a [`Projection`] keeps below one point of the event.
#[derive(Clone, Debug, Default)]
struct Node {
    /// A field's path ends here: keep the whole value.
    whole: bool,
    /// The keys below, each with what to keep of its value (a handful: a list is quicker to
    /// search than a map).
    children: Vec<(String, Node)>,
}

impl Node {
    fn child(&self, key: &[u8]) -> Option<&Node> {
        self.children
            .iter()
            .find(|(k, _)| k.as_bytes() == key)
            .map(|(_, n)| n)
    }
}

impl Projection {
    /// The projection that keeps what `fields` read.
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a Field>) -> Projection {
        let mut root = Node::default();
        for f in fields {
            let mut node = &mut root;
            for key in &f.path {
                let at = match node.children.iter().position(|(k, _)| k == key) {
                    Some(at) => at,
                    None => {
                        node.children.push((key.clone(), Node::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
            }
            node.whole = true;
        }
        Projection { root }
    }

    /// Parses one record (a bare event or a search-response element), keeping what the fields
    /// read. Errors are serde_json's, for a record that is not one well-formed JSON value.
    pub fn parse(&self, bytes: &[u8]) -> serde_json::Result<Json> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let v = Prune {
            node: &self.root,
            top: true,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
}

/// A node that keeps everything.
static WHOLE: Node = Node {
    whole: true,
    children: Vec::new(),
};

/// Deserializes a value keeping only the paths of `node`. At the top, a `data` member is read
/// with the same paths (the event of a search-response element), unless a path starts with
/// `data`, which then keeps it whole.
#[derive(Clone, Copy)]
struct Prune<'a> {
    node: &'a Node,
    top: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Prune<'_> {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        if self.node.whole {
            return serde::Deserialize::deserialize(d);
        }
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Prune<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let inner = Prune {
            node: self.node,
            top: false,
        };
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let child = if self.top && *key == *b"data" {
                // The event of a search-response element; kept whole when a path of a bare
                // event starts with `data` too.
                let node = if self.node.child(b"data").is_some() {
                    &WHOLE
                } else {
                    self.node
                };
                Some(Prune { node, top: false })
            } else {
                self.node.child(&key).map(|node| Prune { node, top: false })
            };
            match child {
                Some(seed) => {
                    let v = map.next_value_seed(seed)?;
                    // A kept key equals a field's key, so it is UTF-8.
                    out.insert(String::from_utf8_lossy(&key).into_owned(), v);
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Json::Object(out))
    }
}

/// An object key as bytes (escapes decoded), borrowed from the record when it has none. Keys
/// are compared with the fields' keys as bytes, so most are never checked for being UTF-8.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, [u8]>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, [u8]>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(v.to_vec().into())
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(v.as_bytes().into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.as_bytes().to_vec().into())
    }
}

/// Resolves a comma-separated list of field names (spaces around a name are ignored), each as
/// [`Field::resolve`]. Every unknown or empty name is a diagnostic whose span points into `list`.
///
/// ```
/// use fimql::{Options, Scope, fields};
/// let list = "dateTime, actoin,severity";
/// let err = fields::parse_list(list, &Options::new(Scope::Events)).unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(&list[d.span.start..d.span.end], "actoin");
/// assert!(err.render(list).contains("did you mean `action`?"));
/// ```
pub fn parse_list(list: &str, opts: &Options) -> Result<Vec<Field>, Diagnostics> {
    let mut fields = Vec::new();
    let mut problems = Vec::new();
    let mut at = 0;
    for part in list.split(',') {
        let lead = part.len() - part.trim_start().len();
        let name = part.trim();
        let span = Span::new(at + lead, at + lead + name.len());
        at += part.len() + 1;
        if name.is_empty() {
            problems.push(
                Diagnostic::error(Code::UnknownToken, span, "empty field name")
                    .with_help("separate field names with single commas, e.g. `dateTime,action`"),
            );
            continue;
        }
        match Field::resolve(name, opts) {
            Ok(f) => fields.push(f),
            Err(mut d) => {
                d.span = span;
                problems.push(d);
            }
        }
    }
    match Diagnostics::from_vec(problems) {
        Some(d) => Err(d),
        None => Ok(fields),
    }
}

/// Appends the text of one value (see [`Field::cell`]).
fn push_text(out: &mut String, v: &Json) {
    match v {
        Json::String(s) => out.push_str(s),
        Json::Null => {}
        other => out.push_str(&other.to_string()),
    }
}

/// Whether the path meets an array anywhere in `v`.
fn crosses_array(v: &Json, path: &[String]) -> bool {
    match v {
        Json::Array(_) => true,
        Json::Object(map) => match path.split_first() {
            Some((key, rest)) => map.get(key).is_some_and(|x| crosses_array(x, rest)),
            None => false,
        },
        _ => false,
    }
}

/// The `unknown-token` diagnostic for a field name, spanning the name.
fn unknown(name: &str, opts: &Options) -> Diagnostic {
    let scope = opts.scope;
    let elsewhere = Scope::ALL
        .into_iter()
        .find(|&s| s != scope && opts.catalog.lookup(s, name).is_some());
    let help = match elsewhere {
        Some(other) => format!("`{name}` is an {other} token; use scope {other}"),
        None => match closest(name, opts.catalog.names(scope), 1).first() {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "no {scope} token has a similar name (see `fimql tokens`); to read `{name}` as a raw JSON path, allow unknown tokens"
            ),
        },
    };
    Diagnostic::error(
        Code::UnknownToken,
        Span::new(0, name.len()),
        format!("unknown field `{name}`: not a token of scope {scope}"),
    )
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> Field {
        Field::resolve(name, &Options::new(Scope::Events)).unwrap()
    }

    #[test]
    fn aliases_resolve_to_their_token_and_keep_the_name_given() {
        let f = field("profile.name");
        assert_eq!(f.name(), "profile.name");
        assert_eq!(f.token(), Some("profiles.name"));
        assert_eq!(f.ty(), Some(TokenType::Text));
        assert_eq!(f.path(), ["profiles", "name"]);
    }

    #[test]
    fn values_cross_arrays_at_every_level_and_drop_nulls() {
        let event = json!({"sortValues": [1], "data": {"profiles": [
            {"rules": [{"name": "a"}, {"name": null}]},
            {"rules": {"name": "b"}},
            {"rules": [[{"name": "c"}]]}
        ]}});
        let f = field("profiles.rules.name");
        assert_eq!(f.cell(&event), "a; b; c");
        assert_eq!(f.json(&event), json!(["a", "b", "c"]));
        // `data` that is not an object is an ordinary field of a bare event.
        let bare = json!({"data": "x", "action": "Create"});
        assert_eq!(field("action").cell(&bare), "Create");
    }

    #[test]
    fn cells_of_each_json_type() {
        let event = json!({"severity": 4, "baseline": false, "asset": {"name": {"a": [1, "x"]}}, "size": 1.5});
        assert_eq!(field("severity").cell(&event), "4");
        assert_eq!(field("baseline").cell(&event), "false");
        assert_eq!(field("asset.name").cell(&event), r#"{"a":[1,"x"]}"#);
        assert_eq!(field("file.size").cell(&event), "1.5");
        assert_eq!(field("file.hash").cell(&event), "");
        assert_eq!(field("file.hash").json(&event), Json::Null);
    }

    #[test]
    fn raw_paths_only_with_allow_unknown() {
        let opts = Options::new(Scope::Events);
        let d = Field::resolve("asset.system.lastBoot", &opts).unwrap_err();
        assert_eq!(d.code, Code::UnknownToken);
        assert_eq!(d.span, Span::new(0, 21));
        assert!(d.help.unwrap().contains("allow unknown tokens"));
        let raw = Field::resolve("changedAttributes", &opts.allow_unknown(true)).unwrap();
        let event = json!({"changedAttributes": [8]});
        assert_eq!(raw.cell(&event), "8");
        // A raw path that meets an array in the event gives an array, even of one value.
        assert_eq!(raw.json(&event), json!([8]));
        assert_eq!(raw.json(&json!({"changedAttributes": 8})), json!(8));
    }

    #[test]
    fn the_other_scope_is_named_when_the_token_is_there() {
        let d = Field::resolve("status", &Options::new(Scope::Events)).unwrap_err();
        assert_eq!(
            d.help.as_deref(),
            Some("`status` is an incidents token; use scope incidents")
        );
    }

    #[test]
    fn projections_give_the_same_cells_as_the_whole_event() {
        let opts = Options::new(Scope::Events).allow_unknown(true);
        let list = parse_list(
            "dateTime,asset.name,profiles.rules.name,asset.tags,changedAttributes,asset,data.x,severity",
            &opts,
        )
        .unwrap();
        let records = [
            r#"{"sortValues":[1],"data":{"dateTime":"2023-01-01","asset":{"name":"a\"b","tags":[1,"2"],"os":"x"},"profiles":[{"rules":[{"name":"r1"},{"name":null}]},{"rules":{"name":"r2"}}],"changedAttributes":[8],"severity":4.5}}"#,
            r#"{"data":"not an event","dateTime":"2023-01-01","asset":null,"severity":[[3]]}"#,
            r#"{"data":{"x":1,"data":{"x":2}},"profiles":[[{"rules":[[{"name":"deep"}]]}]]}"#,
            r#"{"data":[{"x":1}],"asset":{"name":{"k":[1,{"v":null}]}}}"#,
            r#"{"d\u0061ta":{"severity":1},"severity":2}"#,
            r#"{"s\u0065verity":3}"#,
            r#"[{"severity":1}]"#,
            r#"{}"#,
        ];
        let projection = Projection::new(&list);
        for r in records {
            let whole: Json = serde_json::from_str(r).unwrap();
            let part = projection.parse(r.as_bytes()).unwrap();
            for f in &list {
                assert_eq!(f.cell(&part), f.cell(&whole), "{} of {r}", f.name());
                assert_eq!(f.json(&part), f.json(&whole), "{} of {r}", f.name());
            }
        }
        assert!(projection.parse(br#"{"a": }"#).is_err());
        assert!(projection.parse(br#"{"a": 1} x"#).is_err());
    }

    #[test]
    fn lists_report_every_bad_name_with_its_span() {
        let list = " action ,, sevrity";
        let err = parse_list(list, &Options::new(Scope::Events)).unwrap_err();
        let spans: Vec<&str> = err
            .diagnostics()
            .iter()
            .map(|d| &list[d.span.start..d.span.end])
            .collect();
        assert_eq!(spans, ["", "sevrity"]);
        assert_eq!(err.diagnostics()[0].message, "empty field name");
        assert_eq!(
            err.diagnostics()[1].help.as_deref(),
            Some("did you mean `severity`?")
        );
        let ok = parse_list(" action , severity", &Options::new(Scope::Events)).unwrap();
        let names: Vec<&str> = ok.iter().map(Field::name).collect();
        assert_eq!(names, ["action", "severity"]);
    }
}
