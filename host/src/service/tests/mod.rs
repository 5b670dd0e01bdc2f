//! The service's own tests: its operations on a real store in a temporary directory, driven
//! by the manual clock (`ops`, `dst`), and random lifecycles checked against a reference model
//! (`model`, `lifecycle`). Shared setup is `support`.

mod dst;
mod lifecycle;
mod model;
mod ops;
mod support;
