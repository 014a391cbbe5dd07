// placeholder: Herald
