//! CRM customers and the social handles linked to them (`fanwatch crm import`; the file
//! format and its checks are in `crate::crm`).

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;

use super::{StorageError, Store, with_pool};
use crate::crm::{CustomerRecord, Segment, normalize_handle};

/// Rows per multi-row statement: at most 6 parameters each, far below SQLite's (32,766) and
/// PostgreSQL's (65,535) limits on bound parameters.
const BATCH: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Customers in the import.
    pub customers: u64,
    /// Handles in the import.
    pub handles: u64,
    /// Customers that were new or differed from the stored ones (fields or handles); only
    /// these were written. Zero when the same file is imported again.
    pub changed: u64,
}

/// The customer a social author belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLink {
    pub customer_id: String,
    pub name: String,
    pub segment: Segment,
}

/// Linked handles by (platform, lowercased handle). Authors are matched here, in Rust, with
/// the same normalisation the import used: Unicode-aware, where SQLite's LOWER knows A-Z only.
#[derive(Debug, Clone, Default)]
pub struct CustomerLinks(std::collections::HashMap<(String, String), CustomerLink>);

impl CustomerLinks {
    /// The customer behind an author's handle on a platform, if any.
    pub fn get(&self, platform: &str, handle: &str) -> Option<&CustomerLink> {
        let handle = normalize_handle(handle).ok()?;
        self.0.get(&(platform.to_owned(), handle))
    }

    #[cfg(test)]
    pub fn insert(&mut self, platform: &str, handle: &str, link: CustomerLink) {
        if let Ok(handle) = normalize_handle(handle) {
            self.0.insert((platform.to_owned(), handle), link);
        }
    }
}

/// A customer row as stored, to compare with an imported record.
#[derive(sqlx::FromRow)]
struct StoredCustomer {
    customer_id: String,
    name: String,
    email: Option<String>,
    segment: String,
    lifecycle_stage: Option<String>,
}

impl StoredCustomer {
    fn same_as(&self, c: &CustomerRecord) -> bool {
        self.name == c.name
            && self.email == c.email
            && self.segment == c.segment.as_str()
            && self.lifecycle_stage == c.lifecycle_stage
    }
}

impl Store {
    /// Stores checked customer records in one transaction: customers are upserted by
    /// `customer_id` and each imported customer's handles are replaced by the imported ones. A
    /// handle stored for a customer that is not in the import moves to the importing one.
    /// Customers identical to the stored ones are left alone (`imported_at` included), so
    /// importing the same records again changes nothing.
    pub async fn import_customers(
        &self,
        customers: &[CustomerRecord],
    ) -> Result<ImportReport, StorageError> {
        let at = Utc::now();
        let _writer = self.write_guard().await;
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;

            let mut stored: HashMap<String, StoredCustomer> = HashMap::new();
            let mut stored_handles: HashMap<String, BTreeSet<(String, String)>> = HashMap::new();
            for chunk in customers.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT customer_id, name, email, segment, lifecycle_stage FROM customers \
                     WHERE customer_id IN (",
                );
                let mut list = q.separated(", ");
                for c in chunk {
                    list.push_bind(c.customer_id.as_str());
                }
                q.push(")");
                let rows: Vec<StoredCustomer> = q.build_query_as().fetch_all(&mut *tx).await?;
                stored.extend(rows.into_iter().map(|r| (r.customer_id.clone(), r)));

                let mut q = sqlx::QueryBuilder::new(
                    "SELECT customer_id, platform, handle FROM customer_handles WHERE customer_id IN (",
                );
                let mut list = q.separated(", ");
                for c in chunk {
                    list.push_bind(c.customer_id.as_str());
                }
                q.push(")");
                let rows: Vec<(String, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                for (id, platform, handle) in rows {
                    stored_handles.entry(id).or_default().insert((platform, handle));
                }
            }

            let changed: Vec<&CustomerRecord> = customers
                .iter()
                .filter(|c| {
                    let same_fields = stored.get(&c.customer_id).is_some_and(|s| s.same_as(c));
                    let handles: BTreeSet<(String, String)> = c
                        .handles
                        .iter()
                        .map(|h| (h.platform.as_str().to_owned(), h.handle.clone()))
                        .collect();
                    let same_handles = stored_handles
                        .get(&c.customer_id)
                        .map_or(handles.is_empty(), |s| *s == handles);
                    !(same_fields && same_handles)
                })
                .collect();

            for chunk in changed.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO customers (customer_id, name, email, segment, lifecycle_stage, imported_at) ",
                );
                q.push_values(chunk, |mut row, c| {
                    row.push_bind(c.customer_id.as_str())
                        .push_bind(c.name.as_str())
                        .push_bind(c.email.as_deref())
                        .push_bind(c.segment.as_str())
                        .push_bind(c.lifecycle_stage.as_deref())
                        .push_bind(at);
                });
                q.push(
                    " ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, \
                     email = excluded.email, segment = excluded.segment, \
                     lifecycle_stage = excluded.lifecycle_stage, imported_at = excluded.imported_at",
                );
                q.build().execute(&mut *tx).await?;

                let mut q = sqlx::QueryBuilder::new("DELETE FROM customer_handles WHERE customer_id IN (");
                let mut list = q.separated(", ");
                for c in chunk {
                    list.push_bind(c.customer_id.as_str());
                }
                q.push(")");
                q.build().execute(&mut *tx).await?;
            }

            let handles: Vec<(&str, &str, &str)> = changed
                .iter()
                .flat_map(|c| {
                    c.handles
                        .iter()
                        .map(|h| (h.platform.as_str(), h.handle.as_str(), c.customer_id.as_str()))
                })
                .collect();
            for chunk in handles.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO customer_handles (platform, handle, customer_id) ",
                );
                q.push_values(chunk, |mut row, (platform, handle, id)| {
                    row.push_bind(*platform).push_bind(*handle).push_bind(*id);
                });
                q.push(" ON CONFLICT (platform, handle) DO UPDATE SET customer_id = excluded.customer_id");
                q.build().execute(&mut *tx).await?;
            }

            tx.commit().await?;
            Ok::<_, sqlx::Error>(changed.len())
        })?;
        Ok(ImportReport {
            customers: customers.len() as u64,
            handles: customers.iter().map(|c| c.handles.len() as u64).sum(),
            changed: changed as u64,
        })
    }

    /// The customer that `handle` on `platform` belongs to. The handle is matched as imported:
    /// surrounding space and a leading '@' dropped, case ignored (`"@Kadri@Mastodon.ee"` finds
    /// `kadri@mastodon.ee`).
    pub async fn customer_of(
        &self,
        platform: &str,
        handle: &str,
    ) -> Result<Option<CustomerLink>, StorageError> {
        let Ok(handle) = normalize_handle(handle) else {
            return Ok(None);
        };
        let platform = platform.trim().to_lowercase();
        let row: Option<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT c.customer_id, c.name, c.segment FROM customer_handles h \
             JOIN customers c ON c.customer_id = h.customer_id \
             WHERE h.platform = $1 AND h.handle = $2",
        )
        .bind(platform.as_str())
        .bind(handle.as_str())
        .fetch_optional(pool)
        .await)?;
        let Some((customer_id, name, segment)) = row else {
            return Ok(None);
        };
        let segment = Segment::parse(&segment).ok_or_else(|| {
            sqlx::Error::Decode(
                format!("customers.segment {segment:?} is not a known segment").into(),
            )
        })?;
        Ok(Some(CustomerLink {
            customer_id,
            name,
            segment,
        }))
    }

    /// Every linked handle, for matching many authors at once.
    pub async fn customer_links(&self) -> Result<CustomerLinks, StorageError> {
        let rows: Vec<(String, String, String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT h.platform, h.handle, c.customer_id, c.name, c.segment FROM customer_handles h \
             JOIN customers c ON c.customer_id = h.customer_id",
        )
        .fetch_all(pool)
        .await)?;
        Ok(CustomerLinks(
            rows.into_iter()
                .filter_map(|(platform, handle, customer_id, name, segment)| {
                    let segment = Segment::parse(&segment)?;
                    Some((
                        (platform, handle),
                        CustomerLink {
                            customer_id,
                            name,
                            segment,
                        },
                    ))
                })
                .collect(),
        ))
    }
}
