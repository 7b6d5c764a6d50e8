// Tests for this target arrive with the code they test.
