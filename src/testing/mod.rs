//! Test support, behind the feature `testing` and out of the documentation: the properties the
//! fuzz targets check ([`fuzzing`]), the random filter generator of the differential tests
//! ([`filtergen`]) and, with the feature `arbitrary`, `impl Arbitrary for Query`.
//!
//! Nothing here is part of the stable API.

#[cfg(feature = "arbitrary")]
mod arbitrary;
pub mod filtergen;
pub mod fuzzing;
