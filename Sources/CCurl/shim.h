#ifndef STORAGE_CACHE_CCURL_SHIM_H
#define STORAGE_CACHE_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and friends are variadic, which Swift cannot call: typed wrappers. */
static inline CURLcode sc_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_easy_setopt_write_cb(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
}
static inline CURLcode sc_easy_setopt_read_cb(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb);
}
static inline CURLcode sc_easy_setopt_header_cb(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
}
static inline CURLcode sc_easy_setopt_seek_cb(CURL *h, int (*cb)(void *, curl_off_t, int)) {
    return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, cb);
}
static inline CURLcode sc_easy_setopt_xferinfo_cb(CURL *h, int (*cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb);
}
/* CURLOPT_PREREQFUNCTION (libcurl 7.80): called once connected, before the request is sent. */
static inline CURLcode sc_easy_setopt_prereq_cb(CURL *h, int (*cb)(void *, char *, char *, int, int)) {
#if LIBCURL_VERSION_NUM >= 0x075000
    return curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, cb);
#else
    return CURLE_NOT_BUILT_IN;
#endif
}
static inline CURLcode sc_easy_setopt_prereq_data(CURL *h, void *v) {
#if LIBCURL_VERSION_NUM >= 0x075000
    return curl_easy_setopt(h, CURLOPT_PREREQDATA, v);
#else
    return CURLE_NOT_BUILT_IN;
#endif
}
static inline CURLcode sc_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
static inline long sc_pipe_multiplex(void) { return CURLPIPE_MULTIPLEX; }
/* The CURLMsg union member, which Swift sees only as an anonymous field. */
static inline CURLcode sc_msg_result(const CURLMsg *m) { return m->data.result; }
static inline CURLcode sc_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sc_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sc_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode sc_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

#endif
