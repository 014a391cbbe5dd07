#ifndef HERALD_CURL_SHIMS_H
#define HERALD_CURL_SHIMS_H
#include <curl/curl.h>
/* Typed, non-variadic wrappers for libcurl's variadic setters, so Swift can call them. */
CURLcode herald_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode herald_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode herald_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode herald_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode herald_curl_easy_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode herald_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode herald_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode herald_curl_easy_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode herald_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLcode herald_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);
CURLMcode herald_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
/* Callbacks are function pointers, which Swift cannot pass through a void* parameter. */
CURLcode herald_curl_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback);
CURLcode herald_curl_easy_setopt_opensocket_callback(CURL *handle, curl_opensocket_callback callback);
/* Called before every request on its connection, new or reused (curl >= 7.80): the address guard
   re-checks the connected address there, so a reused connection cannot bypass a stricter policy. */
typedef int (*herald_curl_prereq_callback)(void *clientp, char *conn_primary_ip, char *conn_local_ip,
                                           int conn_primary_port, int conn_local_port);
CURLcode herald_curl_easy_setopt_prereq_callback(CURL *handle, herald_curl_prereq_callback callback);
/* Uploads (an SMTP message) are read through this callback. */
CURLcode herald_curl_easy_setopt_read_callback(CURL *handle, curl_read_callback callback);
/* In-memory PEM (client certificate, key, CA bundle): libcurl copies the bytes (CURL_BLOB_COPY). */
CURLcode herald_curl_easy_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length);
#endif
