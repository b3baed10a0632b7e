#ifndef STORAGE_CACHE_CARCHIVE_SHIM_H
#define STORAGE_CACHE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
