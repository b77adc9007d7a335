//! A diagnostic with the `.pipe` line it belongs at ([`Located`]): the library knows lines from
//! the manifest (`file:line`), the CLI turns them into spans of its source database.

use pipec_diagnostics::Diagnostic;
use serde::Serialize;

/// A diagnostic and the `.pipe` line (`file`, 1-based line) it belongs at, when known.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The diagnostic.
    pub diagnostic: Diagnostic,
    /// Where in the `.pipe` file.
    pub location: Option<(String, u32)>,
}

impl Serialize for Located {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", self.diagnostic.code.number())?;
        map.serialize_entry("message", &self.diagnostic.message)?;
        map.serialize_entry("notes", &self.diagnostic.notes)?;
        map.serialize_entry("help", &self.diagnostic.help)?;
        map.serialize_entry("file", &self.location.as_ref().map(|(f, _)| f))?;
        map.serialize_entry("line", &self.location.as_ref().map(|(_, l)| l))?;
        map.end()
    }
}
