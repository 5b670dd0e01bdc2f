//! What the benches share: writing their data set before the measured part.

use sgsched::model::Schedule;
use sgsched::store::{Storage, WriteSet, write_with};

/// Write `all` unconditionally, in commits of 2,000 (not measured).
pub async fn put_schedules(storage: &dyn Storage, all: Vec<Schedule>) {
    for chunk in all.chunks(2000) {
        let put = chunk.to_vec();
        write_with(storage, move |_| {
            Ok::<_, ()>((
                WriteSet {
                    put_schedules: put.clone(),
                    ..WriteSet::default()
                },
                (),
            ))
        })
        .await
        .unwrap()
        .unwrap();
    }
}
