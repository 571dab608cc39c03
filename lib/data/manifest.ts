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

const CSL: [string, number, string][] = [
  ["train_0", 27640, "4683e7cbcbfbcb3b3e1c55d8ca33d48c1ab023e30c4b1fae5488b1f542c18f1f"],
  ["train_1", 27820, "d505d6e4a2585d0e07a3526343eb9899f434a55dd22412ecde5f2e8a6685cd5f"],
  ["train_2", 26084, "183fb5e98fd50b040ae473a0d8b03ee4768160936db2260e4f10575f61386dd1"],
  ["train_3", 24058, "c9fd3fe981b3d69214544a9ffdb66b220a5724c751c62177d57381d8e0a56f7f"],
  ["train_4", 27428, "a3727e77a8c2dca8bda118db6ed590763fcfeae71b440cc18e060ba3aabdba60"],
  ["dev_0", 24384, "6dc1713d42732eee64e3d2cba6ed78aca6e716df459b182b4c50ad6fe988e227"],
  ["dev_1", 26950, "1e920f5c3154f6b028935bbc7235bb750b7aedc7254a9ecf1b4ec15cb8967b45"],
  ["dev_2", 25239, "ba2c089c8e204182f70de2009069a82d1d6f4de062249601da72158a99e17c0a"],
  ["dev_3", 30496, "45380bacf79b3953a443a68d940b528ef84ef3bc84c22f745b248929dd030166"],
  ["dev_4", 27761, "8fc9b8980fdfe0160864bff7776d8617cc3f56b3a75a240794e1e32e646438fb"],
  ["train_few_all", 133130, "ca744c85e39b933b2639fc1f5c197fa9b4aeddf1edd6c3ed3a49b8b5262d06f1"],
  ["dev_few_all", 134930, "421b0f967e1ef844a15b40b0e07cb9aaa05a66f3b0f4bb2b990648450f5cb6dc"],
  ["test_public", 2413462, "93735cf195424d0104647866f56414b6f8c581613ee532893d84cd36e385289f"],
  ["test", 2505965, "54943f28808c609f13d73fa1e5235346bc894b79e382e142c3cd5e85b7f669d7"],
];

const CLUEWSC: [string, number, string][] = [
  ["train_0", 10876, "4e22ec9f0129deeade9277693c7ef726a80394122c9ece698d0d1e9601040e4a"],
  ["train_1", 10924, "4b316aea4fc0c21e6a9ff21b0640276515a78c4b4c184668a3853031eab87a0a"],
  ["train_2", 10167, "ab72b2d10711c4d5666733f2220949b372bff5d3c38c88da281a6c73186008fa"],
  ["train_3", 10774, "ea88311b927c277cd2be7c6fe5ec46d37c4d0675e6d293f90f15ec4fa0df40ba"],
  ["train_4", 10484, "7d60c54b5a97c272366b92534af11a041facdef10df39f73c5482e6f78ef2c0c"],
  ["dev_0", 10381, "a4f47398a31c6c9ac9e31acbca650679db4502b5918c0ebd089d164f6ff85b30"],
  ["dev_1", 11135, "2a0de4a9a23d03d86721aa0c968952c45f8537049b0475dc73d04edc47847ea5"],
  ["dev_2", 10347, "802235f88568363e26d4d6b0d042099bc242a16a7e933cd5c41c4e08e965b668"],
  ["dev_3", 11142, "8f4042d1941218fa5b7b4f6fa20273c86a8a4040e413f144b53a8948672b728f"],
  ["dev_4", 10938, "016d48573bb51f28de4b9283a8e978645f231bb2fa22a74ff4e7f81f2d0bee1d"],
  ["train_few_all", 53325, "07caa7d77df37d24bbf6560acbc5341afd21569c05c683bca755107edc463938"],
  ["dev_few_all", 53684, "dc096e1ee9d2b8f2ae659ae1f7c448c7191cc0b29f057e7e7e16bd673eee61a5"],
  ["test_public", 321697, "52532104368b124c88a29dc24665d4f749c68a6fcaa18cd9101e2b5fd514d704"],
  ["test", 88676, "36f6b4b78a879bab715074648afa61c207b553d8dc1833602cb56a000e2ea8c1"],
];

const IFLYTEK: [string, number, string][] = [
  ["train_0", 835259, "17a545b8255c58c0c283ff94e9f3bc187f9b25710d6d5a81ca7fdacf384f7fc2"],
  ["train_1", 820332, "aed4fe7917c7f91c78807b2b54afef9f964672e75b81f5d1328983892c6cee79"],
  ["train_2", 852629, "38925caf82c9b4fce538c2a3846deb7f81d853fe74743540f36c024afea96f9d"],
  ["train_3", 839488, "4da56e2da2e66fbea688395ee30218b4b91eb3a0fa1fe7502a821dab013a9cd7"],
  ["train_4", 837454, "30da9db7b5348138e52b561bf4584c2cc95637fb95be76fc15b91a45dff39096"],
  ["dev_0", 607272, "5eb3bebc3138b204e640516e657fcbc999af689ea87e5bad228848107d46a44a"],
  ["dev_1", 604764, "3f88a466c23e0df004b1f55766bbe5e87f3aae5a69d03a13011a23a04334a9a3"],
  ["dev_2", 612842, "305425bbe26807de6d2eadcfb81f93c419b12335fe402d22562e8a05e74a9a0f"],
  ["dev_3", 623002, "6388f0a561a59db0c4835a6eb4af0cb7e248efacfb424384f26977936769f92c"],
  ["dev_4", 610796, "4386879d7d6e7344b8a838fe9f0672d2b985666c50d45aae64307bbe405f59e3"],
  ["train_few_all", 2700173, "8de5db8d8a9fa77ae2e5da36a78c762625303600d547f96cc3b674a012243fe6"],
  ["dev_few_all", 1193376, "25e8dd5031ce5d1f7f78f00edff81749a2dc00c17894151c2790c55a4ac3f5dc"],
  ["test_public", 1537988, "f3cca532ec3d63b4afd2d8ce73f2f6e3eaa224cf8fa2fb9a6ebe2e602742dc19"],
  ["test", 2138406, "d0fff6d2d2da33acd2705702db6e6703b3530e2b8195351c4a5f089a3ca814d1"],
];

const CSLDCP: [string, number, string][] = [
  ["train_0", 329930, "435ca3ae1ed22c62d94bf72d1cbb2a944f0c1d3013d02c8b45e992eb6dda83ee"],
  ["train_1", 334922, "f6056c24fa571334188d03b3d7de0a0ece37680c5af7ac11d13d588488564bd7"],
  ["train_2", 324803, "390ff0f74d5b5ec09d621fd7d8f91929a6ccd073c4e241d625ece5c1a0ca0414"],
  ["train_3", 326693, "88ee486a7ca7592151aaeea2b692adfbe7b05424145dfa0146b05bc5ffa1f4e8"],
  ["train_4", 329128, "71d812b89b0db731e77b26eafaad176c8ebd5b877998209b626cfee0af545705"],
  ["dev_0", 329719, "40911fdfda464c43095929b0e5a93dd9a169917eb3d40ed1a772f1d1f36d67b4"],
  ["dev_1", 325709, "a61972539ce6c419a84fafc54671f5f950513316258aa4d10fcc5e442ed13eec"],
  ["dev_2", 331506, "9c4e044b669c906e56844375f0fca4ea2fb6325cf4a0b3eae0f45d5b2e9753e5"],
  ["dev_3", 332610, "45f9921e919b34567d240f845bfb9ed2a5f8c89eca34100e5e90a025228157aa"],
  ["dev_4", 318588, "a3cb6988c521c528e8dea42fac32bb69754d99cade7315557842939291c05d2f"],
  ["train_few_all", 1250007, "ca522b2f42fa3d7f564dfd70a057b81d12866b28a753d157ffb0c02855895429"],
  ["dev_few_all", 1259232, "a291c071fccc3a88cc18b026862f38def0536e3666ea1b9ee84a473030d222a4"],
  ["test_public", 1088172, "e1862a5529fc7531fd645944be8e7776e4ae154da53467df655768948561f8ec"],
  ["test", 1735081, "5d7152df5441ee73cdd6e9e595513e54c05bf9e7c6939182ee2e3d4e74329742"],
];

/** FewCLUE CSL (`{"id", "abst", "keyword": [...], "label"}`: are these the paper's keywords) files by split name. */
export const CSL_FILES: Record<string, SourceFile> = fewclueFiles("csl", CSL);

/** FewCLUE CLUEWSC (`{"idx", "text", "target": {span1_index, span1_text, span2_index, span2_text}, "label"}`) files by split name. */
export const CLUEWSC_FILES: Record<string, SourceFile> = fewclueFiles("cluewsc", CLUEWSC);

/** FewCLUE IFLYTEK (`{"id", "sentence", "label": class index, "label_des"}`, 119 app categories) files by split name. */
export const IFLYTEK_FILES: Record<string, SourceFile> = fewclueFiles("iflytek", IFLYTEK);

/** FewCLUE CSLDCP (`{"id", "content", "label": discipline name}`, 67 disciplines) files by split name. */
export const CSLDCP_FILES: Record<string, SourceFile> = fewclueFiles("csldcp", CSLDCP);

const CHID: [string, number, string][] = [
  ["train_0", 19608, "18e8733155bba87eb6bf7e3f288a39a96d74da38aa8ba2583dc4885d2d799549"],
  ["train_1", 20069, "7a6bd63dc87f361abb544266f3cdc6d927d99709fcc3f19b3aa6fe0c156ca657"],
  ["train_2", 19741, "f6aedeba47a627ef747b3a6b658bdc141cf97b7ffc9e6c70faa49a1d0564bf98"],
  ["train_3", 19391, "42ba8399b53e1cb91c2d985b9a292fe4103c956251644aa7931516ba62d68383"],
  ["train_4", 19926, "e4851c453fa56721e6da07e94128996590f7569c8a19a5e339c1e970b6db36c3"],
  ["dev_0", 19456, "923e4f8a24a6b4b6267c292e89274b1d6575bad3e39f3a5c5419bea8118d8262"],
  ["dev_1", 19689, "68e3b44c57b2c1f5568bf52e6de95386f0c3938fcc2631b996b00109d8e381fa"],
  ["dev_2", 19610, "ea9ef503ef3c0dbe584a59ec506250c8d0eebc0e4b8aa8dbbb74d4f96ecaa1b6"],
  ["dev_3", 19402, "4a7a718d392d4312d15d428c1ad3a526db89348a3cf08211505a9a082adc9bf4"],
  ["dev_4", 19633, "c05a1c0bbd2e835d4a7205bf60c56f4dd2e654b7ecd660f516cd7c5b013cdafd"],
  ["train_few_all", 94987, "3c947439d7d6144093dac32da66c2d20baaeec02a4bc38388f72c286da6238bc"],
  ["dev_few_all", 94002, "9a826d6173e032e5cf73b41be48b293dc553ad306a9c8b913ffb6829abc68a2f"],
  ["test_public", 940280, "95ced0f30b80a964994ef3eff486ba7b2880e5e4f3aa5be571eb1e88066eed4b"],
  ["test", 913045, "26672295692164a2601d98f4631e6ef95ef7ff4066a667fcc5c950403d99879f"],
  ["unlabeled", 3467354, "7e218f5f13aeac1f9dbfdeda638592f96dfc54226e8673f295194aed5c14b429"],
];

/** FewCLUE CHID (`{"id", "candidates": [7 idioms], "content": text with one #idiom# blank, "answer"}`) files by split name. */
export const CHID_FILES: Record<string, SourceFile> = fewclueFiles("chid", CHID);
