"""Shipped data of the incidents app: the generator of labelled 简要警情 for the classifier."""
