"""Building blocks of the identity and e-signature schemes of Hong Kong, Macau and Guangdong."""
