// placeholder: HeraldCrypto
