//! The service's own tests: its operations on a real store in a temporary directory, driven
//! by the manual clock (`ops`, `dst`). Shared setup is `support`.

mod dst;
mod ops;
mod support;
