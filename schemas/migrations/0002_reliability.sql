-- An attempt whose worker died before recording its result is written as "abandoned" when another
-- worker takes the delivery over; if the first worker comes back and reports, its real result
-- replaces the placeholder.
ALTER TABLE delivery_attempts ADD COLUMN abandoned boolean NOT NULL DEFAULT false;
