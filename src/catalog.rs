//! The token catalog: which tokens a filter may use in each scope, their types, the JSON path each
//! reads, aliases and known values. The built-in table is `tokens.md` of the specification, as
//! data in one place; [`Catalog`] lets a caller extend it or build a catalog of its own.
//!
//! ```
//! use fimql::catalog::{Catalog, Scope, TokenDef, TokenType};
//!
//! let mut catalog = Catalog::builtin();
//! assert_eq!(catalog.lookup(Scope::Events, "file.attribute.readOnly").unwrap().name, "file.attribute.readonly");
//!
//! // A token Qualys documents later, added without forking the crate:
//! catalog.add(Scope::Events, TokenDef::new("file.owner", TokenType::Text, "owner"));
//! assert_eq!(catalog.lookup(Scope::Events, "file.owner").unwrap().path, "owner");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which API a filter is for: events (search, count, correlation rules, incident filters) or
/// incidents (incident search and count).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Scope {
    /// Event search and count, ignored events, incident events, correlation `filterQuery`,
    /// incident `filters`.
    #[default]
    Events,
    /// Incident search and count.
    Incidents,
}

impl Scope {
    /// Both scopes.
    pub const ALL: [Scope; 2] = [Scope::Events, Scope::Incidents];

    /// `"events"` or `"incidents"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Events => "events",
            Scope::Incidents => "incidents",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = crate::Diagnostic;
    /// `events` or `incidents`; anything else is an `unknown-name` diagnostic with a
    /// did-you-mean.
    fn from_str(s: &str) -> Result<Self, crate::Diagnostic> {
        match s {
            "events" => Ok(Scope::Events),
            "incidents" => Ok(Scope::Incidents),
            _ => Err(crate::suggest::unknown_name(
                "scope",
                s,
                &["events", "incidents"],
            )),
        }
    }
}

/// The type of a token (`language.md` section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Free text: phrases match substrings.
    Text,
    /// Identifiers, hashes, addresses: whole-value matches only.
    Keyword,
    /// One of a known set of values.
    Enum,
    /// Whole numbers; ranges and comparisons allowed.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// Instants; ranges and comparisons allowed.
    Date,
}

impl TokenType {
    /// The lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Text => "text",
            TokenType::Keyword => "keyword",
            TokenType::Enum => "enum",
            TokenType::Integer => "integer",
            TokenType::Boolean => "boolean",
            TokenType::Date => "date",
        }
    }

    /// Whether ranges and `< <= > >=` apply.
    pub const fn is_ordered(self) -> bool {
        matches!(self, TokenType::Integer | TokenType::Date)
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the catalog is of a token (`tokens.md`, column "source").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// Named in the Qualys FIM API documents.
    Doc,
    /// Appears in a Qualys filter string or event sample.
    Seen,
    /// The JSON field exists in event samples; the name follows the documented pattern.
    Inferred,
    /// Added by the caller.
    User,
}

impl Source {
    /// The lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Doc => "doc",
            Source::Seen => "seen",
            Source::Inferred => "inferred",
            Source::User => "user",
        }
    }
}

/// One token of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDef {
    /// The canonical name, e.g. `file.attribute.readonly`.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: TokenType,
    /// The JSON path it reads, relative to the event (or incident): keys joined by `.`, with `[]`
    /// after a key that holds an array, e.g. `profiles[].rules[].name`.
    pub path: String,
    /// Other names accepted for the token (matched case-sensitively, like names).
    pub aliases: Vec<String>,
    /// Known values of an enum token, in their documented case.
    pub values: Vec<String>,
    /// How sure the catalog is.
    pub source: Source,
    /// Notes from the catalog.
    pub note: String,
}

impl TokenDef {
    /// A token with no aliases, no known values and source [`Source::User`].
    pub fn new(name: impl Into<String>, ty: TokenType, path: impl Into<String>) -> Self {
        TokenDef {
            name: name.into(),
            ty,
            path: path.into(),
            aliases: Vec::new(),
            values: Vec::new(),
            source: Source::User,
            note: String::new(),
        }
    }

    /// Adds an alias.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    /// Sets the known values (for enums).
    pub fn values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values = values.into_iter().map(Into::into).collect();
        self
    }

    /// The path's keys, each with whether the JSON there is documented as an array.
    ///
    /// ```
    /// use fimql::catalog::{TokenDef, TokenType};
    /// let t = TokenDef::new("profiles.rules.name", TokenType::Text, "profiles[].rules[].name");
    /// assert_eq!(t.segments(), vec![("profiles", true), ("rules", true), ("name", false)]);
    /// ```
    pub fn segments(&self) -> Vec<(&str, bool)> {
        self.path
            .split('.')
            .map(|s| match s.strip_suffix("[]") {
                Some(k) => (k, true),
                None => (s, false),
            })
            .collect()
    }

    /// Whether `name` is this token's name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.iter().any(|a| a == name)
    }
}

/// The catalog of tokens, per scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    events: Vec<TokenDef>,
    incidents: Vec<TokenDef>,
}

impl Catalog {
    /// An empty catalog, to build one's own.
    pub fn empty() -> Self {
        Catalog::default()
    }

    /// The built-in catalog of `tokens.md`.
    pub fn builtin() -> Self {
        let mut c = Catalog::empty();
        for &(scope, name, ty, path, aliases, values, source, note) in BUILTIN {
            c.scope_mut(scope).push(TokenDef {
                name: name.into(),
                ty,
                path: path.into(),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
                values: values.iter().map(|s| s.to_string()).collect(),
                source,
                note: note.into(),
            });
        }
        c
    }

    /// The built-in catalog, built once and shared.
    pub fn shared() -> &'static Catalog {
        static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        CATALOG.get_or_init(Catalog::builtin)
    }

    fn scope_mut(&mut self, scope: Scope) -> &mut Vec<TokenDef> {
        match scope {
            Scope::Events => &mut self.events,
            Scope::Incidents => &mut self.incidents,
        }
    }

    /// Adds a token to a scope, replacing any token of the same name.
    pub fn add(&mut self, scope: Scope, token: TokenDef) -> &mut Self {
        let list = self.scope_mut(scope);
        list.retain(|t| t.name != token.name);
        list.push(token);
        self
    }

    /// The tokens of a scope, in catalog order.
    pub fn tokens(&self, scope: Scope) -> &[TokenDef] {
        match scope {
            Scope::Events => &self.events,
            Scope::Incidents => &self.incidents,
        }
    }

    /// The token a name (or alias) stands for in a scope; names are case-sensitive.
    pub fn lookup(&self, scope: Scope, name: &str) -> Option<&TokenDef> {
        self.tokens(scope).iter().find(|t| t.answers_to(name))
    }

    /// Every name and alias of a scope, for suggestions.
    pub fn names(&self, scope: Scope) -> impl Iterator<Item = &str> {
        self.tokens(scope).iter().flat_map(|t| {
            std::iter::once(t.name.as_str()).chain(t.aliases.iter().map(String::as_str))
        })
    }
}

use Scope::{Events, Incidents};
use Source::{Doc, Inferred, Seen};
use TokenType::{Boolean, Date, Enum, Integer, Keyword, Text};

type Row = (
    Scope,
    &'static str,
    TokenType,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Source,
    &'static str,
);

/// `tokens.md`: scope, name, type, JSON path, aliases, known values, source, note.
#[rustfmt::skip]
const BUILTIN: &[Row] = &[
    (Events, "dateTime", Date, "dateTime", &[], &[], Doc, "`2023-06-28T06:18:50.548+0000`"),
    (Events, "processedTime", Date, "processedTime", &[], &[], Doc, "only events after FIM 2.0.2 carry it"),
    (Events, "action", Enum, "action", &[], &["Create", "Delete", "Content", "Rename", "Attributes", "Security"], Doc, "Create, Delete, Content, Rename, Attributes, Security"),
    (Events, "severity", Integer, "severity", &[], &[], Seen, "1–5"),
    (Events, "id", Keyword, "id", &[], &[], Seen, "event UUID"),
    (Events, "incidentId", Keyword, "incidentId", &[], &[], Inferred, ""),
    (Events, "customerId", Keyword, "customerId", &[], &[], Inferred, ""),
    (Events, "platform", Enum, "platform", &[], &["WINDOWS", "LINUX"], Seen, "WINDOWS, LINUX"),
    (Events, "type", Enum, "type", &[], &["File", "Directory", "Registry"], Seen, "File, Directory, Registry"),
    (Events, "class", Enum, "class", &[], &["Disk", "Registry"], Seen, "Disk, Registry"),
    (Events, "baseline", Boolean, "baseline", &[], &[], Seen, ""),
    (Events, "trustStatus", Enum, "trustStatus", &[], &["TRUSTED", "UNTRUSTED", "UNKNOWN", "UNAVAILABLE"], Inferred, "TRUSTED, UNTRUSTED, UNKNOWN, UNAVAILABLE"),
    (Events, "reputationStatus", Enum, "reputationStatus", &[], &["MALICIOUS", "SUSPICIOUS", "KNOWN", "UNKNOWN", "UNAVAILABLE"], Doc, "MALICIOUS, SUSPICIOUS, KNOWN, UNKNOWN, UNAVAILABLE"),
    (Events, "file.fullPath", Text, "fullPath", &[], &[], Doc, "a trailing `\\` inside quotes must be written `\\\\`"),
    (Events, "file.name", Text, "name", &[], &[], Inferred, ""),
    (Events, "file.hash", Keyword, "fileContentHash", &[], &[], Doc, "SHA-256 hex"),
    (Events, "file.oldHash", Keyword, "fileContentHashOld", &[], &[], Inferred, ""),
    (Events, "file.size", Integer, "size", &[], &[], Inferred, "bytes"),
    (Events, "file.id", Keyword, "fileID", &[], &[], Inferred, ""),
    (Events, "file.volumeId", Keyword, "volumeID", &[], &[], Inferred, ""),
    (Events, "file.certificateHash", Keyword, "fileCertificateHash", &[], &[], Inferred, ""),
    (Events, "file.attribute.hidden", Enum, "fileAttribute.hidden", &[], &["Added", "Removed"], Doc, "Added, Removed"),
    (Events, "file.attribute.readonly", Enum, "fileAttribute.readonly", &["file.attribute.readOnly"], &["Added", "Removed"], Doc, "Added, Removed; alias `file.attribute.readOnly` (both spellings appear in the FIM documents)"),
    (Events, "file.attribute.encrypted", Enum, "fileAttribute.encrypted", &[], &["Added", "Removed"], Inferred, "Added, Removed"),
    (Events, "file.attribute.compressed", Enum, "fileAttribute.compressed", &[], &["Added", "Removed"], Inferred, "Added, Removed"),
    (Events, "file.attributes.new", Text, "attributes.newAttribute[]", &[], &[], Inferred, "e.g. Hidden, Read Only, Archive"),
    (Events, "file.attributes.old", Text, "attributes.oldAttribute[]", &[], &[], Inferred, ""),
    (Events, "registry.path", Text, "registryPath", &[], &[], Inferred, ""),
    (Events, "registry.name", Text, "registryName", &[], &[], Inferred, ""),
    (Events, "actor.process", Text, "actor.process", &[], &[], Inferred, "explorer.exe"),
    (Events, "actor.processID", Integer, "actor.processID", &[], &[], Inferred, ""),
    (Events, "actor.imagePath", Text, "actor.imagePath", &[], &[], Doc, "trailing-`\\` caveat as file.fullPath"),
    (Events, "actor.userName", Text, "actor.userName", &[], &[], Inferred, "`DESKTOP-FR23SL8\\Administrator`"),
    (Events, "actor.userID", Keyword, "actor.userID", &[], &[], Inferred, "SID or uid"),
    (Events, "actor.auditUserName", Text, "actor.auditUserName", &[], &[], Inferred, ""),
    (Events, "actor.procTitle", Text, "actor.procTitle", &[], &[], Inferred, ""),
    (Events, "profiles.name", Text, "profiles[].name", &["profile.name"], &[], Doc, "alias `profile.name`"),
    (Events, "profiles.id", Keyword, "profiles[].id", &[], &[], Inferred, ""),
    (Events, "profiles.type", Enum, "profiles[].type", &[], &["WINDOWS", "LINUX"], Inferred, "WINDOWS, LINUX"),
    (Events, "profiles.category.name", Text, "profiles[].category.name", &[], &[], Inferred, "PCI"),
    (Events, "profiles.rules.name", Text, "profiles[].rules[].name", &[], &[], Inferred, ""),
    (Events, "profiles.rules.id", Keyword, "profiles[].rules[].id", &["profile.rule.id"], &[], Seen, "alias `profile.rule.id`"),
    (Events, "profiles.rules.type", Enum, "profiles[].rules[].type", &[], &["file", "directory"], Seen, "file, directory"),
    (Events, "profiles.rules.severity", Integer, "profiles[].rules[].severity", &[], &[], Inferred, "1–5"),
    (Events, "profiles.rules.number", Integer, "profiles[].rules[].number", &[], &[], Inferred, ""),
    (Events, "asset.name", Text, "asset.name", &[], &[], Inferred, ""),
    (Events, "asset.netbiosName", Text, "asset.netbiosName", &[], &[], Inferred, ""),
    (Events, "asset.agentId", Keyword, "asset.agentId", &[], &[], Inferred, ""),
    (Events, "asset.hostId", Integer, "asset.hostId", &[], &[], Inferred, ""),
    (Events, "asset.operatingSystem", Text, "asset.operatingSystem", &[], &[], Inferred, ""),
    (Events, "asset.agentVersion", Text, "asset.agentVersion", &[], &[], Inferred, ""),
    (Events, "asset.assetType", Enum, "asset.assetType", &[], &["HOST"], Inferred, "HOST"),
    (Events, "asset.lastLoggedOnUser", Text, "asset.lastLoggedOnUser", &[], &[], Inferred, ""),
    (Events, "asset.tags", Keyword, "asset.tags[]", &[], &[], Inferred, "tag ids"),
    (Events, "asset.tagNames", Text, "asset.tagNames[]", &["asset.tag.name"], &[], Doc, "events since FIM 4.5; alias `asset.tag.name` for older events"),
    (Events, "asset.interfaces.hostname", Text, "asset.interfaces[].hostname", &[], &[], Inferred, ""),
    (Events, "asset.interfaces.address", Keyword, "asset.interfaces[].address", &[], &[], Inferred, ""),
    (Events, "asset.interfaces.macAddress", Keyword, "asset.interfaces[].macAddress", &[], &[], Inferred, ""),
    (Incidents, "id", Keyword, "id", &[], &[], Seen, ""),
    (Incidents, "customerId", Keyword, "customerId", &[], &[], Seen, ""),
    (Incidents, "name", Text, "name", &[], &[], Seen, "1–128 characters"),
    (Incidents, "status", Enum, "status", &[], &["OPEN", "CLOSED"], Doc, "OPEN, CLOSED"),
    (Incidents, "type", Enum, "type", &[], &["DEFAULT", "AUTOMATED"], Doc, "DEFAULT, AUTOMATED"),
    (Incidents, "approvalStatus", Enum, "approvalStatus", &[], &["APPROVED", "POLICY_VIOLATION", "UNAPPROVED", "PENDING", "NA"], Doc, "APPROVED, POLICY_VIOLATION, UNAPPROVED, PENDING, NA"),
    (Incidents, "approvalType", Enum, "approvalType", &[], &["MANUAL", "AUTOMATED"], Doc, "MANUAL, AUTOMATED"),
    (Incidents, "changeType", Enum, "changeType", &[], &["MANUAL", "AUTOMATED", "COMPROMISE", "STANDARD_CHANGE", "EMERGENCY_CHANGE", "NORMAL_CHANGE", "OTHER"], Doc, "MANUAL, AUTOMATED, COMPROMISE, STANDARD_CHANGE, EMERGENCY_CHANGE, NORMAL_CHANGE, OTHER"),
    (Incidents, "dispositionCategory", Enum, "dispositionCategory", &[], &["PATCHING", "PRE_APPROVED_CHANGE_CONTROL", "CONFIGURATION_CHANGE", "HUMAN_ERROR", "DATA_CORRUPTION", "EMERGENCY_CHANGE", "CHANGE_CONTROL_VIOLATION", "GENERAL_HACKING", "MALWARE", "MALICIOUS_INTENT", "UNAUTHORIZED_ACCESS", "INAPPROPRIATE_USAGE_OR_FRAUD", "DATA_LOSS_OR_THEFT", "DISREGARD_OF_ORGANIZATIONAL_POLICY", "FALSE_POSITIVE", "OTHER"], Doc, "PATCHING, PRE_APPROVED_CHANGE_CONTROL, CONFIGURATION_CHANGE, HUMAN_ERROR, DATA_CORRUPTION, EMERGENCY_CHANGE, CHANGE_CONTROL_VIOLATION, GENERAL_HACKING, MALWARE, MALICIOUS_INTENT, UNAUTHORIZED_ACCESS, INAPPROPRIATE_USAGE_OR_FRAUD, DATA_LOSS_OR_THEFT, DISREGARD_OF_ORGANIZATIONAL_POLICY, FALSE_POSITIVE, OTHER"),
    (Incidents, "reviewers", Text, "reviewers[]", &[], &[], Doc, "user names and e-mail addresses"),
    (Incidents, "comment", Text, "comment", &[], &[], Seen, ""),
    (Incidents, "filterFromDate", Date, "filterFromDate", &[], &[], Seen, ""),
    (Incidents, "dateTime", Date, "filterFromDate", &[], &[], Seen, "the incidents search sorted by `dateTime` returns each incident's `filterFromDate` as its sort value (epoch ms); the FIM API guide filters incident events with ``dateTime:[…] AND status:`OPEN` ``"),
    (Incidents, "filterToDate", Date, "filterToDate", &[], &[], Doc, ""),
    (Incidents, "createdBy.date", Date, "createdBy.date", &[], &[], Seen, "epoch milliseconds in responses"),
    (Incidents, "createdDate", Date, "createdDate", &[], &[], Seen, ""),
    (Incidents, "approvalDate", Date, "approvalDate", &[], &[], Seen, ""),
    (Incidents, "ruleId", Keyword, "ruleId", &[], &[], Seen, ""),
    (Incidents, "ruleName", Text, "ruleName", &[], &[], Seen, "1–112 characters"),
    (Incidents, "markupStatus", Enum, "markupStatus", &[], &["COMPLETED"], Seen, "COMPLETED"),
    (Incidents, "deleted", Boolean, "deleted", &[], &[], Seen, ""),
];

/// The integer a value of an integer token stands for: an optional `-` and digits (`+4` and
/// `4.0` are not integers). `None` when it is not one or does not fit in `i64`.
///
/// ```
/// assert_eq!(fimql::catalog::parse_integer("-12"), Some(-12));
/// assert_eq!(fimql::catalog::parse_integer("+4"), None);
/// ```
pub fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The boolean a value of a boolean token stands for: `true` or `false` in any case.
pub fn parse_boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
