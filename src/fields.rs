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
            if let Some(d) = empty_key(name) {
                return Err(d);
            }
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
    /// Keep the text of numbers as written (see [`Projection::keep_number_text`]).
    number_text: bool,
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
        Projection {
            root,
            number_text: false,
        }
    }

    /// Keeps the text of the numbers in the values kept as it is written in the record
    /// (`1E2`, `99999999999999999999999`, `-0`) where serde_json would write the number it reads
    /// differently (`100.0`, `1e+23`, `0`): [`Field::cell`] shows that text and [`AsWritten`]
    /// writes it. Such a number is held in the [`Json`] result as an object with the single key
    /// [`NUMBER_KEY`] and its text as a string (see [`number_text`]); a filter does not read
    /// this form, so a projection that keeps number text is for showing values only.
    ///
    /// ```
    /// use fimql::fields::{self, AsWritten, Projection};
    /// use fimql::{Options, Scope};
    ///
    /// let list = fields::parse_list("severity,asset.tags", &Options::new(Scope::Events))?;
    /// let projection = Projection::new(&list).keep_number_text(true);
    /// let event = projection.parse(br#"{"severity": 1E2, "asset": {"tags": [7, 1.50]}}"#).unwrap();
    /// assert_eq!(list[0].cell(&event), "1E2");
    /// assert_eq!(list[1].cell(&event), "7; 1.50");
    /// let json = serde_json::to_string(&AsWritten(&list[1].json(&event))).unwrap();
    /// assert_eq!(json, "[7,1.50]");
    /// // Without it, the numbers serde_json reads.
    /// let plain = Projection::new(&list).parse(br#"{"severity": 1E2}"#).unwrap();
    /// assert_eq!(list[0].cell(&plain), "100.0");
    /// # Ok::<(), fimql::Diagnostics>(())
    /// ```
    pub fn keep_number_text(mut self, yes: bool) -> Projection {
        self.number_text = yes;
        self
    }

    /// Parses one record (a bare event or a search-response element), keeping what the fields
    /// read. Errors are serde_json's, for a record that is not one well-formed JSON value.
    pub fn parse(&self, bytes: &[u8]) -> serde_json::Result<Json> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let v = Prune {
            node: &self.root,
            top: true,
            text: self.number_text,
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
    /// Keep the text of numbers in the values kept whole.
    text: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Prune<'_> {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        if self.node.whole {
            if self.text {
                return AsRead.deserialize(d);
            }
            return serde::Deserialize::deserialize(d);
        }
        d.deserialize_any(self)
    }
}

/// The key of the object that stands for a number whose text serde_json would not give back
/// (see [`Projection::keep_number_text`]).
pub const NUMBER_KEY: &str = "$fimql::number";

/// The text of a number held by a [`Projection`] that keeps number text: `Some` for the object
/// it makes of such a number, `None` for any other value.
pub fn number_text(v: &Json) -> Option<&str> {
    match v {
        Json::Object(map) if map.len() == 1 => match map.get(NUMBER_KEY) {
            Some(Json::String(text)) => Some(text),
            _ => None,
        },
        _ => None,
    }
}

/// A value as serde_json reads it, except numbers whose text it would not give back, held as
/// their text (see [`number_text`]).
fn number_as_read(text: &str) -> Json {
    match serde_json::from_str::<serde_json::Number>(text) {
        Ok(n) if n.to_string() == text => Json::Number(n),
        _ => {
            let mut map = serde_json::Map::new();
            map.insert(NUMBER_KEY.to_string(), Json::String(text.to_string()));
            Json::Object(map)
        }
    }
}

/// Deserializes a whole value keeping the text of its numbers (see [`number_as_read`]): reads
/// each value's text first, then what it holds.
#[derive(Clone, Copy)]
struct AsRead;

impl<'de> serde::de::DeserializeSeed<'de> for AsRead {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        use serde::de::Error;
        let raw = <&serde_json::value::RawValue as serde::Deserialize>::deserialize(d)?;
        let text = raw.get();
        let read = match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => return Ok(number_as_read(text)),
            // A string without escapes, the common case: its text between the quotes.
            Some(b'"') if !text.contains('\\') && text.len() >= 2 => {
                return Ok(Json::String(text[1..text.len() - 1].to_string()));
            }
            Some(b'{' | b'[') => {
                let mut de = serde_json::Deserializer::from_str(text);
                serde::Deserializer::deserialize_any(&mut de, AsRead)
            }
            _ => serde_json::from_str(text),
        };
        read.map_err(D::Error::custom)
    }
}

impl<'de> serde::de::Visitor<'de> for AsRead {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(AsRead)? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(AsRead)?;
            out.insert(key, v);
        }
        Ok(Json::Object(out))
    }
}

/// A value from a [`Projection`] that keeps number text, serialized with its numbers as written
/// (see the example of [`Projection::keep_number_text`]); any other value as serde_json writes
/// it.
pub struct AsWritten<'a>(pub &'a Json);

impl serde::Serialize for AsWritten<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap, SerializeSeq};
        if let Some(text) = number_text(self.0) {
            let raw = serde_json::value::RawValue::from_string(text.to_string())
                .map_err(S::Error::custom)?;
            return raw.serialize(s);
        }
        match self.0 {
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&AsWritten(v))?;
                }
                seq.end()
            }
            Json::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, &AsWritten(v))?;
                }
                m.end()
            }
            other => other.serialize(s),
        }
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
            text: self.text,
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
                Some(Prune {
                    node,
                    top: false,
                    text: self.text,
                })
            } else {
                self.node.child(&key).map(|node| Prune {
                    node,
                    top: false,
                    text: self.text,
                })
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
                // The diagnostic's span is within the name.
                d.span = Span::new(span.start + d.span.start, span.start + d.span.end);
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
    if let Some(text) = number_text(v) {
        out.push_str(text);
        return;
    }
    match v {
        Json::String(s) => out.push_str(s),
        Json::Null => {}
        other => out.push_str(&serde_json::to_string(&AsWritten(other)).unwrap_or_default()),
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

/// The diagnostic for a raw JSON path with an empty key (`a..b`, `.x`, `x.`), which the filter
/// language cannot write either (a field is words joined by single dots): spans the dots around
/// the empty key.
fn empty_key(name: &str) -> Option<Diagnostic> {
    let mut at: usize = 0;
    for key in name.split('.') {
        if key.is_empty() {
            let span = Span::new(at.saturating_sub(1), (at + 1).min(name.len()));
            return Some(
                Diagnostic::error(
                    Code::UnknownToken,
                    span,
                    format!("raw JSON path `{name}` has an empty key"),
                )
                .with_help(
                    "join the keys of a raw path with single dots, e.g. `asset.system.lastBoot`",
                ),
            );
        }
        at += key.len() + 1;
    }
    None
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
    fn raw_paths_with_an_empty_key_are_refused() {
        let opts = Options::new(Scope::Events).allow_unknown(true);
        for (name, dots) in [
            ("a..b", (1, 3)),
            (".x", (0, 1)),
            ("x.", (1, 2)),
            (".", (0, 1)),
        ] {
            let d = Field::resolve(name, &opts).unwrap_err();
            assert_eq!(d.code, Code::UnknownToken, "{name}");
            assert_eq!((d.span.start, d.span.end), dots, "{name}");
            assert!(d.message.contains("empty key"), "{name}");
        }
        // In a list, the span points into the list.
        let list = "action, a..b";
        let err = parse_list(list, &opts).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(&list[d.span.start..d.span.end], "..");
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
        // These records write every number as serde_json would: keeping their text changes
        // nothing.
        let as_written = Projection::new(&list).keep_number_text(true);
        for r in records {
            let whole: Json = serde_json::from_str(r).unwrap();
            let part = projection.parse(r.as_bytes()).unwrap();
            let text = as_written.parse(r.as_bytes()).unwrap();
            for f in &list {
                assert_eq!(f.cell(&part), f.cell(&whole), "{} of {r}", f.name());
                assert_eq!(f.json(&part), f.json(&whole), "{} of {r}", f.name());
                assert_eq!(f.cell(&text), f.cell(&whole), "{} of {r}", f.name());
                assert_eq!(f.json(&text), f.json(&whole), "{} of {r}", f.name());
            }
        }
        assert!(
            as_written
                .parse(br#"{"asset": {"name": "\u0041\n"}}"#)
                .is_ok()
        );
        assert!(as_written.parse(br#"{"asset": {"name": [1, }}"#).is_err());
        assert!(projection.parse(br#"{"a": }"#).is_err());
        assert!(projection.parse(br#"{"a": 1} x"#).is_err());
    }

    #[test]
    fn number_text_is_kept_at_every_depth_and_written_back() {
        let opts = Options::new(Scope::Events).allow_unknown(true);
        let list = parse_list("asset,severity", &opts).unwrap();
        let p = Projection::new(&list).keep_number_text(true);
        let v = p
            .parse(br#"{"data":{"severity":-0,"asset":{"a":[1E2,{"b":1.50}],"s":"x\"y","n":7}}}"#)
            .unwrap();
        assert_eq!(list[1].cell(&v), "-0");
        assert_eq!(
            list[0].cell(&v),
            r#"{"a":[1E2,{"b":1.50}],"n":7,"s":"x\"y"}"#
        );
        let json = serde_json::to_string(&AsWritten(&list[0].json(&v))).unwrap();
        assert_eq!(json, r#"{"a":[1E2,{"b":1.50}],"n":7,"s":"x\"y"}"#);
        // Canonical numbers stay numbers.
        let v = p.parse(br#"{"severity": 4}"#).unwrap();
        assert_eq!(list[1].json(&v), json!(4));
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
