#ifndef HERALD_C_CURL_SHIM_H
#define HERALD_C_CURL_SHIM_H
#include <curl/curl.h>
#endif
