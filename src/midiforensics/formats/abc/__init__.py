"""ABC tunes: finding them in text and repairing what models get wrong."""
