// placeholder: CurlClient
