// The Worker of extract transfers (pages/extract-upload.js, pages/item.js): reading,
// encryption, hashing and decryption run here, off the page's thread (app/transfer-jobs.js).
import { serve } from "./transfer-jobs.js";

serve(self);
