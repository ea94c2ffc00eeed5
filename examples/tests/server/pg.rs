//! A PostgreSQL database of a test's own on the server `LUNAR_TEST_POSTGRES_URL` names.

/// A new database named `{prefix}_{pid}` (dropped first if a crashed run left it);
/// returns its URL. Drop it with [`drop_database`].
pub(crate) async fn own_database(admin_url: &str, prefix: &str) -> String {
    let admin = sqlx::PgPool::connect(admin_url).await.expect("postgres");
    let name = format!("{prefix}_{}", std::process::id());
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    format!("{base}/{name}")
}

/// Drops the database of `db_url` (made by [`own_database`]), closing its connections.
pub(crate) async fn drop_database(admin_url: &str, db_url: &str) {
    let Some((_, name)) = db_url.rsplit_once('/') else {
        return;
    };
    if let Ok(admin) = sqlx::PgPool::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
        admin.close().await;
    }
}
