// placeholder: HeraldCore
