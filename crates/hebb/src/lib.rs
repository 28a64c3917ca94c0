//! hebb facade
