/// Placeholder; see AGENTS.md.
package enum StorageCacheModule {}
