/**
 * The upstream files the registered datasets are built from, pinned by commit and sha256. Mirrors the table
 * of the data mirror's MANIFEST.md; `path` is a file's place inside a mirror folder and inside the cache.
 */

/** One pinned upstream file. */
export interface SourceFile extends Pin {
  /** Relative path inside a mirror or the cache, e.g. `fewclue/eprstmt/train_0.json`. */
  path: string;
  /** GitHub `owner/name`. */
  repo: string;
  /** Pinned commit. */
  commit: string;
  /** Path inside the repository at `commit`. */
  upstreamPath: string;
}

const FEWCLUE = { repo: "CLUEbenchmark/FewCLUE", commit: "62a02c6f31cf32814cfe522f78ef088228840f8d" };
const NLPCORPUS = { repo: "SophonPlus/ChineseNlpCorpus", commit: "a0b781d72158bde242c0626c9e354d2b328865ff" };

const EPRSTMT: [string, number, string][] = [
  ["train_0", 4965, "c5b94c978204b7355c17391c53435fa74c8e5985ab3f5a02c6b2074d0f37016c"],
  ["train_1", 5863, "683e0b00b7f3b268e23592d252077d2dc9fa3ac50e67e8a9686c4338d7919f32"],
  ["train_2", 6388, "18a4c059289c482e1c3ff71f83d93922faec9161d9f7aa927001eea17a089cc2"],
  ["train_3", 5612, "91246804c60fa5fbb698ac7c2fe4b32b8bd74ea5ae3d52933c79d517da5b00d7"],
  ["train_4", 4908, "0659beca71eed15312be450ca92df7985b338140692ce7068af65a66abe44460"],
  ["dev_0", 6760, "e489c661ffb2d5d48448ad54b5098ad91639b6f2d3df320bfe2c4789202db8ab"],
  ["dev_1", 6274, "43c73a93b7101ac0c20631d2b8280db796759dbf37fa53455d3ea51d93001489"],
  ["dev_2", 7216, "fabbdbcb104afcc6f535d717eeddc0311b012210f83c540c8fb0ba40b0926de8"],
  ["dev_3", 4776, "03696dfd6e040126898ebe03848a0e1806c8795d4b32d0793306891228f164d4"],
  ["dev_4", 5973, "f04439985520e12da0e3ff329f1514f57e8528e9fba5f91478085934086b51bc"],
  ["train_few_all", 27836, "da6343ed63264304fdbf70ebc6f82d7ab43aa294daad047f450a88252a36de9d"],
  ["dev_few_all", 31099, "859eeb8b977a5e06c13b7c4016a74aae1dc8a5ff5a8fb502fba77e551087ed96"],
  ["test_public", 114575, "ddea92e833023adeff35070bd56331878ae9fdc57fd99229c249c2aae06bbf41"],
  ["test", 130674, "d93000f32207172f349ed3414db367930dd6e1b961991eca786de349aca55384"],
  ["unlabeled", 3295268, "1bf7d22da37ff652f0ce58c5d69c14680e29008a290101fbac29befe06a6fdfe"],
];

const BUSTM: [string, number, string][] = [
  ["train_0", 3140, "f54181936e380d38b1d2a37d143ff01b6468465654f759bf6d8763155aac5023"],
  ["train_1", 3326, "2a84c91045d7898f779fb88b720044b281bdba37a91c51d8d72c46c59069d29f"],
  ["train_2", 3271, "2b9662abec8a614a624fbc42f9568f0c9bb05641968b32529793c8aabf1a6b9d"],
  ["train_3", 3245, "f9ccd0353ee36fca022a44e10b2554c23d687bbf24794b704d72a478056e8377"],
  ["train_4", 3335, "05f43095af4e26ee7928b0efd059f7e13f3ad01abbdcc7bc2db88b9f31144297"],
  ["dev_0", 3233, "7996802c6e3f7d038ea35152eb9599b426a205ce5c2a89eeb0a849098feb8483"],
  ["dev_1", 3214, "50000df61e0f8d68cdc96359a244d6d200c719b8a3f70955ab3a826644d1157f"],
  ["dev_2", 3348, "b39ecbb614501ecd2c4a5b8d76aba0fa2c115167fe1c0d7868dbf832a0f79d34"],
  ["dev_3", 3301, "c700da85b731591c3e4a9cdbbbfc2ff157e99a11e486861bc87413541a68b973"],
  ["dev_4", 3276, "3efb99b9d13a2376c91c8b9526a08ace4cb05ede52a91054669e9b6732f155d0"],
  ["train_few_all", 16417, "2afb8f94aed370d07b2e69ae63af1592f224ea2e093a7ff8fa7aff2ec860192e"],
  ["dev_few_all", 16472, "64969aad594d5222f0e0e1a53ceeb1b2c473ac3d7349a999c3e06e7c601aa860"],
  ["test_public", 184793, "85329a99b1854da74ef9a42dd343e6819e015832c1d91726bcfc6046e042def5"],
  ["test", 179733, "38d3ada146ea3426fb4afed1f790f021943c3334d6007540483a87f565bb99d8"],
  ["unlabeled", 381544, "f41283a52f09281946e9cadbf35be6a868be99e3a5786c9d8225667361e6f94c"],
];

/** The pinned files of FewCLUE task `task` (its folder name), by split name in listing order. */
function fewclueFiles(task: string, table: [string, number, string][]): Record<string, SourceFile> {
  return Object.fromEntries(
    table.map(([split, bytes, sha256]) => [split, {
      path: `fewclue/${task}/${split}.json`,
      upstreamPath: `datasets/${task}/${split}.json`,
      bytes,
      sha256,
      ...FEWCLUE,
    }]),
  );
}

/** FewCLUE EPRSTMT files by split name, in listing order. */
export const EPRSTMT_FILES: Record<string, SourceFile> = fewclueFiles("eprstmt", EPRSTMT);

/** FewCLUE BUSTM (sentence pairs, JSON Lines `{"id", "sentence1", "sentence2", "label"}`) files by split name. */
export const BUSTM_FILES: Record<string, SourceFile> = fewclueFiles("bustm", BUSTM);

function nlpCorpus(file: string, dir: string, bytes: number, sha256: string): SourceFile {
  return { path: `chinesenlpcorpus/${file}`, upstreamPath: `datasets/${dir}/${file}`, bytes, sha256, ...NLPCORPUS };
}

/** ChineseNlpCorpus hotel reviews, CSV `label,review`. */
export const HTL_FILE: SourceFile = nlpCorpus(
  "ChnSentiCorp_htl_all.csv",
  "ChnSentiCorp_htl_all",
  2904858,
  "1d414b9c65caf3a836abdb4efded621968502ad3338e1a9d885ae131c86083f0",
);

/** ChineseNlpCorpus food-delivery reviews, CSV `label,review`. */
export const WAIMAI_FILE: SourceFile = nlpCorpus(
  "waimai_10k.csv",
  "waimai_10k",
  919380,
  "b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe",
);

/** ChineseNlpCorpus shopping reviews: a zip holding one CSV `cat,label,review`. */
export const SHOPPING_ZIP: SourceFile = nlpCorpus(
  "online_shopping_10_cats.zip",
  "online_shopping_10_cats",
  4084428,
  "6816ded66fde9d0927ecbd370b5e12d0174d1abac35192ec014ac2a0a8d25858",
);

/** A file's expected size and checksum. */
export interface Pin {
  bytes: number;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
}

/**
 * The CSV inside {@link SHOPPING_ZIP}, pinned too: its extracted copy in the cache is verified on every read,
 * so an emptied or edited copy is extracted again instead of being read.
 */
export const SHOPPING_ENTRY: Pin & { name: string } = {
  name: "online_shopping_10_cats.csv",
  bytes: 11299695,
  sha256: "f6c5b724122d8547b700ac4524898eb7e28abbee63f798e95a8faa408829afdb",
};

/** FewCLUE TNEWS unlabelled news titles (JSON Lines `{"id", "sentence", ...}`), extra pre-training text. */
export const TNEWS_UNLABELED: SourceFile = {
  path: "fewclue/tnews/unlabeled.json",
  upstreamPath: "datasets/tnews/unlabeled.json",
  bytes: 3133192,
  sha256: "8b3ecb742f611718fac1a0576cda84211052e94aa07669e2052c89d3bca6e506",
  ...FEWCLUE,
};
